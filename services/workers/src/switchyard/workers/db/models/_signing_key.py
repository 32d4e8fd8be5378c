"""Runtime-JWT signing keys (Ed25519), the private half encrypted at rest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.workers.db.base import Base


class SigningKey(Base):
    """An Ed25519 key pair; ``private_key_enc`` is AES-256-GCM (nonce || ciphertext)."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(Text, primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    private_key_enc: Mapped[bytes] = mapped_column(LargeBinary)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
