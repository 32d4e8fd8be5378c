"""Tenants: the unit of tenancy; exactly one is the root tenant that owns the admin console."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.identity.db.base import Base


class Tenant(Base):
    """A tenant (team or organisation)."""

    __tablename__ = "tenants"
    __table_args__ = (
        # At most one root tenant, so concurrent bootstraps cannot create two.
        Index("uq_tenants_single_root", "is_root", unique=True, postgresql_where=text("is_root")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    is_root: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
