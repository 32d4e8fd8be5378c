"""Validation of analytics query parameters; each error names the REST parameter."""

from __future__ import annotations

from datetime import datetime, timedelta

from switchyard.grpckit.errors import InvalidArgument
from switchyard.ingest.domain.analytics.capture import NAME_MAX
from switchyard.ingest.domain.common import uuid_or_empty

PERIODS = ("day", "week", "month")
MAX_PERIODS = 52
MIN_STEPS, MAX_STEPS = 2, 10
MAX_WINDOW_HOURS = 24 * 365


def bad(field: str, message: str) -> InvalidArgument:
    """An INVALID_ARGUMENT naming ``field``."""
    return InvalidArgument(f"{field} {message}", fields={field: message})


def event_name(value: str, field: str, *, required: bool = False) -> str:
    """An event name filter: "" (when allowed) or 1..200 characters."""
    text = value.strip()
    if not text and required:
        raise bad(field, "is required")
    if len(text) > NAME_MAX:
        raise bad(field, f"must be at most {NAME_MAX} characters")
    return text


def app(value: str) -> str:
    """An app filter: "" or a UUID."""
    return uuid_or_empty(value, "app")


def window(
    start: datetime | None, end: datetime | None, *, now: datetime, default: timedelta
) -> tuple[datetime, datetime]:
    """``[from, to)``: unset ``to`` = now, unset ``from`` = ``default`` before it; from must precede to."""
    stop = end or now
    begin = start or stop - default
    if begin >= stop:
        raise bad("from", "must be before to")
    return begin, stop


def limit(value: int) -> int:
    """A page size 1..1000; 0 = 100."""
    if value == 0:
        return 100
    if not 1 <= value <= 1000:
        raise bad("limit", "must be 1..1000")
    return value


def steps(values: list[str]) -> list[str]:
    """2..10 funnel steps, each an event name."""
    if not MIN_STEPS <= len(values) <= MAX_STEPS:
        raise bad("steps", f"must have {MIN_STEPS}..{MAX_STEPS} entries")
    return [event_name(v, "steps", required=True) for v in values]


def window_hours(value: int) -> int:
    """The funnel's conversion window, 1..8760 hours; 0 = 24."""
    if value == 0:
        return 24
    if not 1 <= value <= MAX_WINDOW_HOURS:
        raise bad("windowHours", f"must be 1..{MAX_WINDOW_HOURS}")
    return value


def period(value: str) -> str:
    """day, week or month."""
    text = value.strip().lower()
    if text not in PERIODS:
        raise bad("period", "must be day, week or month")
    return text


def periods(value: int) -> int:
    """1..52 periods."""
    if not 1 <= value <= MAX_PERIODS:
        raise bad("periods", f"must be 1..{MAX_PERIODS}")
    return value
