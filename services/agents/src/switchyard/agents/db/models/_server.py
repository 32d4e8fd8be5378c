"""Enrolled servers: identity and enrolment state (placement metadata belongs to deploy)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.agents.db.base import Base


class Server(Base):
    """One customer server (id = the agent's SERVER_ID)."""

    __tablename__ = "servers"
    __table_args__ = (
        Index("ix_servers_org_id_created_at", "org_id", "created_at"),
        Index("ix_servers_machine_id", "machine_id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text, default="")
    hostname: Mapped[str] = mapped_column(Text, default="")
    machine_id: Mapped[str] = mapped_column(Text, default="")
    # "active" or "revoked".
    status: Mapped[str] = mapped_column(Text)
    agent_version: Mapped[str] = mapped_column(Text, default="")
    # Who minted the install token it enrolled with (user id).
    enrolled_by: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    enrolled_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_heartbeat_at: Mapped[datetime | None]
