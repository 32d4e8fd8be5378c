"""Deployments: rollouts of an app's spec to an environment, carried out by the server's agent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.deploy.db.base import Base


class Deployment(Base):
    """One deployment (id = the agents command id). No foreign keys: the history outlives its app."""

    __tablename__ = "deployments"
    __table_args__ = (Index("ix_deployments_app_id_created_at", "app_id", "created_at"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    app_id: Mapped[str] = mapped_column(Text)
    environment_id: Mapped[str] = mapped_column(Text)
    environment: Mapped[str] = mapped_column(Text)
    server_id: Mapped[str] = mapped_column(Text)
    # pending_approval | queued | running | succeeded | failed | cancelled | rejected.
    status: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str] = mapped_column(Text, default="")
    command_id: Mapped[str] = mapped_column(Text, default="")
    rollback_of: Mapped[str | None] = mapped_column(Text)
    image_tag: Mapped[str] = mapped_column(Text, default="")
    # The deployed spec (container name, port, health check path, start command) — never an env value.
    spec: Mapped[dict[str, Any]] = mapped_column(JSONB)
    error: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
