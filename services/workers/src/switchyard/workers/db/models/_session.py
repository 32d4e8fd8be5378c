"""Agent sessions: the record of every queued piece of work and its FSM state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.workers.db.base import Base


class Session(Base):
    """One agent session (id = the tracker session id)."""

    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_org_id_status", "org_id", "status"),
        Index("ix_sessions_worker_id", "worker_id"),
        Index("ix_sessions_org_id_issue_id", "org_id", "issue_id"),
        # The queue reconciler pages through pending sessions by id.
        Index("ix_sessions_pending", "id", postgresql_where=text("status = 'pending'")),
        # The public sessions API: lookups by either hash, and newest-first keyset pages per org.
        Index("ix_sessions_spec_hash", "spec_hash"),
        Index("ix_sessions_guide_hash", "guide_hash"),
        Index("ix_sessions_org_id_created_at_id", "org_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    issue_id: Mapped[str] = mapped_column(Text)
    issue_identifier: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(Text)
    priority: Mapped[int]
    prompt: Mapped[str] = mapped_column(Text, default="")
    work_type: Mapped[str] = mapped_column(Text, default="")
    project_id: Mapped[str] = mapped_column(Text, default="")
    project_name: Mapped[str] = mapped_column(Text, default="")
    repository: Mapped[str] = mapped_column(Text, default="")
    extras: Mapped[dict[str, Any]] = mapped_column(default=dict)
    worker_id: Mapped[str | None] = mapped_column(Text)
    provider_session_id: Mapped[str] = mapped_column(Text, default="")
    worktree_path: Mapped[str] = mapped_column(Text, default="")
    error_message: Mapped[str] = mapped_column(Text, default="")
    agent_id: Mapped[str] = mapped_column(Text, default="")
    provider: Mapped[str] = mapped_column(Text, default="")
    total_cost_usd: Mapped[float] = mapped_column(default=0.0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    last_tool_name: Mapped[str] = mapped_column(Text, default="")
    last_tool_called_at: Mapped[datetime | None]
    tool_call_count: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str] = mapped_column(Text, default="")
    queued_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # First 16 hex of sha256(id): the spec's public session hash.
    spec_hash: Mapped[str] = mapped_column(Text, default="")
    # First 32 hex of sha256("session:" + id): the guide's public session hash.
    guide_hash: Mapped[str] = mapped_column(Text, default="")
    # Prompts that reset the session from a terminal state (phase metrics count them as rework).
    reset_count: Mapped[int] = mapped_column(default=0)
