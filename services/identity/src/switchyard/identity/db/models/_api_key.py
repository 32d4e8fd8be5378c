"""Admin API keys (``lsk_``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.identity.db.base import Base


class ApiKey(Base):
    """An ``lsk_`` key; only the SHA-256 (base64url) of the raw key is stored."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    key_hash: Mapped[str] = mapped_column(Text, unique=True)
    key_preview: Mapped[str] = mapped_column(Text)
    # "admin" or "user".
    authority: Mapped[str] = mapped_column(Text)
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True)
