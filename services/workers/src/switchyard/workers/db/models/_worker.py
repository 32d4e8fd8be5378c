"""Worker registrations: the durable record; liveness lives in Redis."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.workers.db.base import Base


class Worker(Base):
    """One registration of a daemon host (a re-registration is a new row with a new id)."""

    __tablename__ = "workers"
    __table_args__ = (Index("ix_workers_org_id", "org_id"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    hostname: Mapped[str] = mapped_column(Text)
    capacity: Mapped[int]
    version: Mapped[str] = mapped_column(Text, default="")
    machine_id: Mapped[str] = mapped_column(Text, default="")
    region: Mapped[str] = mapped_column(Text, default="")
    capabilities: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    all_projects: Mapped[bool]
    project_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    registration_key_id: Mapped[str] = mapped_column(Text)
    registered_at: Mapped[datetime]
    deregistered_at: Mapped[datetime | None]
