"""Commands to agents: durable rows, whichever replica holds the agent's stream."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.agents.db.base import Base


class Command(Base):
    """One command (id = the agent.v1 Command id)."""

    __tablename__ = "commands"
    __table_args__ = (
        Index("ix_commands_server_id_created_at", "server_id", "created_at"),
        # What a stream delivers when it opens, and what queue depth counts.
        Index(
            "ix_commands_open",
            "server_id",
            "created_at",
            postgresql_where=text("status IN ('pending', 'dispatched', 'running')"),
        ),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    server_id: Mapped[str] = mapped_column(Text)
    org_id: Mapped[str] = mapped_column(Text)
    type: Mapped[int]
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # pending -> dispatched -> running -> completed | failed | cancelled | queued | error.
    status: Mapped[str] = mapped_column(Text)
    output: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # nonce || AES-256-GCM of the sealed payload part (IssueCommand's secret_payload_json), or None.
    secret_enc: Mapped[bytes | None]
