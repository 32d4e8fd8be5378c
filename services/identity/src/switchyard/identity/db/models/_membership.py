"""Memberships: a user's role in a tenant."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.identity.db.base import Base


class Membership(Base):
    """One user in one tenant with one role."""

    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'admin', 'user')", name="role"),
        # Exactly one owner per tenant: a transfer must demote before it promotes.
        Index("uq_memberships_one_owner", "tenant_id", unique=True, postgresql_where=text("role = 'owner'")),
        Index("ix_memberships_user_id", "user_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(Text)
    joined_at: Mapped[datetime]
