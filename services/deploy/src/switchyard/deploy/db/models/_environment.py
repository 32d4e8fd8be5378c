"""Environments of an app ("production" is created with the app)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.deploy.db.base import Base


class Environment(Base):
    """One environment; its name is unique in the app and it goes with the app."""

    __tablename__ = "environments"
    __table_args__ = (UniqueConstraint("app_id", "name"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    app_id: Mapped[str] = mapped_column(Text, ForeignKey("apps.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    # Deployments to it wait for an owner/admin approval.
    requires_approval: Mapped[bool] = mapped_column(default=False, server_default="false")
