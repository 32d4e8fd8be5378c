"""Small helpers and constants shared by the agents domain (no I/O)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]

# Command states: pending -> dispatched (agent ACK) -> running (progress) -> one final state.
PENDING = "pending"
DISPATCHED = "dispatched"
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"
QUEUED = "queued"
ERROR = "error"
OPEN_STATUSES = (PENDING, DISPATCHED, RUNNING)
FINAL_STATUSES = (COMPLETED, FAILED, CANCELLED, QUEUED, ERROR)
ALL_STATUSES = OPEN_STATUSES + FINAL_STATUSES

# Total output kept per command (characters); older output is dropped, the tail is kept.
OUTPUT_CAP = 1024 * 1024

# agent.v1.CommandType numbers the services issue themselves.
CANCEL_COMMAND = 99
AGENT_LOGS = 113
AGENT_STATUS = 114
AGENT_PING = 115
RESTART_SELF = 123


def utcnow() -> datetime:
    """The real clock (UTC, timezone-aware)."""
    return datetime.now(UTC)


def new_id() -> str:
    """A random UUID (command ids are the agent.v1 Command ids)."""
    return str(uuid.uuid4())


def tail(text: str, cap: int = OUTPUT_CAP) -> str:
    """The last ``cap`` characters of ``text``."""
    return text if len(text) <= cap else text[-cap:]
