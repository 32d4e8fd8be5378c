"""Env vars of an environment, sealed at rest (AES-256-GCM bound to org, app, environment and key)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.deploy.db.base import Base


class EnvVar(Base):
    """One variable; ``value_enc`` is ``nonce || ciphertext`` and never leaves the service unopened."""

    __tablename__ = "env_vars"
    __table_args__ = (UniqueConstraint("environment_id", "key"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    app_id: Mapped[str] = mapped_column(Text)
    environment_id: Mapped[str] = mapped_column(Text, ForeignKey("environments.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(Text)
    value_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
