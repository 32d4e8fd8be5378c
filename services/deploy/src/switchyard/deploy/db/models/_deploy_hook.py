"""Deploy hooks: a secret URL that deploys one environment of an app (the token is stored hashed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.deploy.db.base import Base


class DeployHook(Base):
    """One hook; it goes with its app."""

    __tablename__ = "deploy_hooks"
    __table_args__ = (Index("ix_deploy_hooks_app_id", "app_id"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    app_id: Mapped[str] = mapped_column(Text, ForeignKey("apps.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    # SHA-256 hex of the token (shown once, at creation).
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    # The token's last 4 characters, so a listing can tell hooks apart.
    token_hint: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
