"""Small helpers shared by every workers aggregate (no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from switchyard.grpckit.errors import InvalidArgument

Clock = Callable[[], datetime]

# Poll never hands out more than this many items at once, whatever the free capacity.
MAX_POLL_ITEMS = 5
# Work for a project-less queue, a key or worker limited to no project, or an org-wide key.
ALL_PROJECTS = "*"
WORKER_STATUSES = ("idle", "busy", "draining")


def utcnow() -> datetime:
    """The real clock (UTC, timezone-aware)."""
    return datetime.now(UTC)


def to_ms(value: datetime) -> int:
    """Epoch milliseconds of a timezone-aware datetime."""
    return int(value.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    """A UTC datetime from epoch milliseconds."""
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def required(value: str, *, field: str, max_len: int = 500) -> str:
    """A trimmed, non-empty request field, or InvalidArgument naming it."""
    text = (value or "").strip()
    if not text:
        raise InvalidArgument(f"{field} is required")
    if len(text) > max_len:
        raise InvalidArgument(f"{field} must be at most {max_len} characters")
    return text


def optional(value: str, *, field: str, max_len: int = 500) -> str:
    """A trimmed optional request field (may be empty), bounded in length."""
    text = (value or "").strip()
    if len(text) > max_len:
        raise InvalidArgument(f"{field} must be at most {max_len} characters")
    return text


def worker_status(value: str, *, default: str = "idle") -> str:
    """``idle``, ``busy`` or ``draining``; empty means ``default``."""
    status = (value or "").strip() or default
    if status not in WORKER_STATUSES:
        raise InvalidArgument("status must be one of idle, busy, draining")
    return status


def narrow_projects(declared: list[str], key_projects: tuple[str, ...]) -> tuple[bool, tuple[str, ...]]:
    """The projects a worker takes work for: what it declared, never more than its key allows.

    Returns:
        ``(all_projects, project_ids)``; ``project_ids`` is empty when ``all_projects``.
    """
    wanted = [p for p in dict.fromkeys(p.strip() for p in declared) if p]
    if not key_projects or ALL_PROJECTS in key_projects:
        return (not wanted, tuple(wanted))
    # A project-scoped key: a declared list can only narrow it; one outside the key falls back to the key.
    narrowed = tuple(p for p in wanted if p in key_projects)
    return (False, narrowed or tuple(key_projects))


def queue_score(priority: int, queued_at_ms: int) -> float:
    """Sorted-set score: priority band first (lower is sooner), then arrival order."""
    return min(max(priority, 1), 9) * 1e13 + queued_at_ms
