"""Views of the public sessions API, its status vocabulary and its opaque cursors (no I/O)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from switchyard.grpckit.errors import InvalidArgument
from switchyard.workers.db.models import Session
from switchyard.workers.domain.sessions import fsm

# Public word -> the FSM states it stands for (reference §2.3 "Public status vocabulary").
PUBLIC_STATUSES: dict[str, tuple[str, ...]] = {
    "queued": (fsm.PENDING,),
    "working": (fsm.CLAIMED, fsm.RUNNING, fsm.FINALIZING),
    "completed": (fsm.COMPLETED,),
    "failed": (fsm.FAILED,),
    "stopped": (fsm.STOPPED,),
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class PublicSessionView:
    """A session as its org sees it through the public API."""

    id: str
    hash: str
    identifier: str
    issue_id: str
    status: str
    work_type: str
    project_id: str
    project_name: str
    provider: str
    cost_usd: float
    input_tokens: int
    output_tokens: int
    branch: str
    issue_title: str
    worker_id: str
    created_at: datetime
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class SessionPage:
    """One page of sessions, newest first; ``next_cursor`` is empty on the last page."""

    sessions: list[PublicSessionView]
    next_cursor: str


@dataclass(frozen=True, slots=True)
class ActivityView:
    """One entry of a session's activity feed."""

    id: int
    type: str
    content: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ActivityPage:
    """Activities after a cursor, oldest first, with the cursor to poll from next."""

    activities: list[ActivityView]
    cursor: str
    session_status: str


@dataclass(frozen=True, slots=True)
class Stats:
    """The org's fleet and session figures."""

    workers_online: int
    agents_working: int
    queue_depth: int
    completed_today: int
    available_capacity: int
    total_cost_today: float
    total_cost_all_time: float
    session_count_today: int
    server_time: datetime


@dataclass(frozen=True, slots=True)
class PhaseMetric:
    """Aggregates of one work type."""

    work_type: str
    sessions: int
    completed: int
    failed: int
    stopped: int
    cycle_time_avg_ms: float
    cycle_time_p50_ms: float
    cycle_time_p90_ms: float
    cost_total_usd: float
    cost_avg_usd: float
    rework_count: int
    rework_rate: float


@dataclass(frozen=True, slots=True)
class PromptResult:
    """How a prompt reached the session."""

    prompt_id: str
    session_id: str
    session_status: str


@dataclass(frozen=True, slots=True)
class StopResult:
    """What a stop changed; ``stopped`` is False when the session had already ended."""

    stopped: bool
    session_id: str
    previous_status: str
    new_status: str


def public_status(status: str) -> str:
    """The public word for an FSM state."""
    return fsm.public_status(status)


def status_filter(value: str) -> tuple[str, ...]:
    """The FSM states a public status filter selects; empty selects every state."""
    word = (value or "").strip()
    if not word:
        return ()
    if word not in PUBLIC_STATUSES:
        raise InvalidArgument(f"status must be one of {', '.join(PUBLIC_STATUSES)}")
    return PUBLIC_STATUSES[word]


def bounded_limit(value: int | None, *, default: int, maximum: int) -> int:
    """A page size: None means ``default``; otherwise 1..``maximum`` or InvalidArgument naming ``limit``."""
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise InvalidArgument(f"limit must be between 1 and {maximum}")
    return value


def encode_cursor(*parts: str) -> str:
    """An opaque cursor (URL-safe, unpadded base64 of the parts)."""
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, count: int, field: str = "cursor") -> list[str]:
    """The parts of a cursor made by ``encode_cursor``, or InvalidArgument naming ``field``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidArgument(f"{field} is invalid") from exc
    parts = raw.split("|", count - 1)
    if len(parts) != count:
        raise InvalidArgument(f"{field} is invalid")
    return parts


def to_micros(value: datetime) -> int:
    """Exact epoch microseconds (cursor positions must match stored times exactly)."""
    return (value - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    """The UTC datetime of exact epoch microseconds."""
    return _EPOCH + value * _MICROSECOND


def _text(extras: dict[str, Any], *names: str) -> str:
    for name in names:
        value = extras.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def to_public(row: Session, *, now: datetime) -> PublicSessionView:
    """The public view of a row; the duration runs from the claim to the end (or to now while working)."""
    extras = dict(row.extras or {})
    started = row.claimed_at
    duration = 0
    if started is not None:
        duration = max(int(((row.finished_at or now) - started) / timedelta(milliseconds=1)), 0)
    return PublicSessionView(
        id=row.id,
        hash=row.spec_hash,
        identifier=row.issue_identifier,
        issue_id=row.issue_id,
        status=public_status(row.status),
        work_type=row.work_type,
        project_id=row.project_id,
        project_name=row.project_name,
        provider=row.provider,
        cost_usd=row.total_cost_usd,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        branch=_text(extras, "branch"),
        issue_title=_text(extras, "issueTitle", "title"),
        worker_id=row.worker_id or "",
        created_at=row.created_at,
        queued_at=row.queued_at,
        started_at=started,
        finished_at=row.finished_at,
        duration_ms=duration,
    )
