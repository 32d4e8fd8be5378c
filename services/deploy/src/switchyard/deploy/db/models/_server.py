"""Placement of the agents service's servers: a projection of its events plus deploy's own flags."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.deploy.db.base import Base


class Server(Base):
    """One server: id and org come from ``agents.server.registered``; the rest is deploy's."""

    __tablename__ = "servers"
    __table_args__ = (Index("ix_servers_org", "org_id"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    labels: Mapped[dict[str, str]] = mapped_column(JSONB)
    cordoned: Mapped[bool] = mapped_column(Boolean)
    draining: Mapped[bool] = mapped_column(Boolean)
    pool_id: Mapped[str | None] = mapped_column(Text, ForeignKey("pools.id", ondelete="SET NULL"))
    revoked: Mapped[bool] = mapped_column(Boolean)
    deleted: Mapped[bool] = mapped_column(Boolean)
    registered_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The occurred_at of the newest agents event applied: an older one arriving late is ignored.
    last_event_at: Mapped[datetime]
