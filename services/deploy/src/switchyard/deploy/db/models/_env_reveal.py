"""The audit trail of env var reveals: who read which key, when and why; never the value."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Identity, Index, Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.deploy.db.base import Base


class EnvReveal(Base):
    """One reveal. No foreign keys: the record outlives the app, environment and variable it names."""

    __tablename__ = "env_reveals"
    __table_args__ = (Index("ix_env_reveals_app_created", "org_id", "app_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    app_id: Mapped[str] = mapped_column(Text)
    environment: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
