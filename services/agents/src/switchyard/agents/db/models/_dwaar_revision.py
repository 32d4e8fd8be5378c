"""Recorded Dwaar config patches: what was sent, what the agent answered, and how to invert it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.agents.db.base import Base


class DwaarRevision(Base):
    """One DWAAR_CONFIG_PATCH sent to a server's agent (a rollback is a revision with ``rollback_of``)."""

    __tablename__ = "dwaar_revisions"
    __table_args__ = (
        Index("ix_dwaar_revisions_server_id_created_at", "server_id", "created_at"),
        Index(
            "ix_dwaar_revisions_rollback_of", "rollback_of", postgresql_where=text("rollback_of IS NOT NULL")
        ),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    server_id: Mapped[str] = mapped_column(Text)
    org_id: Mapped[str] = mapped_column(Text)
    # {block, action, value}: the DWAAR_CONFIG_PATCH payload.
    patch: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # applied | error.
    status: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text, default="")
    # The agent's JSON reply {block, action, prev, new, restart_ok, ...}; null when it gave none.
    reply: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The patch that undoes this one; null when the reply does not allow it (or the patch failed).
    inverse: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    command_id: Mapped[str] = mapped_column(Text)
    rollback_of: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
