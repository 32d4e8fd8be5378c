"""Access tokens revoked before their expiry (logout)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.identity.db.base import Base


class RevokedAccessToken(Base):
    """A revoked access token's jti; the row is useless after ``expires_at``."""

    __tablename__ = "revoked_access_tokens"

    jti: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime]
