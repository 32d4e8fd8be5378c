"""Daemon-config mutations queued for a worker host."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.mutations.db.base import Base


class Mutation(Base):
    """One mutation; ``status`` moves pending -> delivered -> applied | failed, or pending -> cancelled."""

    __tablename__ = "mutations"
    __table_args__ = (
        # History of one host, newest first.
        Index("ix_mutations_host_created", "worker_host_id", "created_at"),
        # The heartbeat's delivery query and the marker repair scan only ever want open rows.
        Index(
            "ix_mutations_open",
            "worker_host_id",
            "created_at",
            postgresql_where=text("status IN ('pending', 'delivered')"),
        ),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    worker_host_id: Mapped[str] = mapped_column(Text)
    op: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text)
    # A user id, "key:<id>" for an org key, or "m2m:<client>" for an M2M token.
    requested_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    applied_at: Mapped[datetime | None]
    failure: Mapped[str | None] = mapped_column(Text)
