"""Refresh tokens by jti, grouped in rotation families."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.identity.db.base import Base


class RefreshToken(Base):
    """One issued refresh token; ``replaced_by`` is set when it is rotated."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("ix_refresh_tokens_family_id", "family_id"),
        Index("ix_refresh_tokens_user_id", "user_id"),
    )

    jti: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    family_id: Mapped[uuid.UUID]
    expires_at: Mapped[datetime]
    replaced_by: Mapped[uuid.UUID | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
