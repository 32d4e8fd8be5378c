"""Small helpers shared by the ingest domain (no I/O)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from switchyard.grpckit.errors import InvalidArgument

Clock = Callable[[], datetime]
NAME_MAX = 100


def utcnow() -> datetime:
    """The real clock (UTC, timezone-aware)."""
    return datetime.now(UTC)


def new_id() -> str:
    """A random UUID as text."""
    return str(uuid.uuid4())


def name_of(value: str, field: str = "name") -> str:
    """A display name: trimmed, 1..100 characters, no control characters."""
    text = value.strip()
    if not text:
        raise InvalidArgument(f"{field} is required", fields={field: "required"})
    if len(text) > NAME_MAX:
        raise InvalidArgument(f"{field} must be at most {NAME_MAX} characters", fields={field: "too long"})
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InvalidArgument(f"{field} must not contain control characters", fields={field: "invalid"})
    return text


def uuid_or_empty(value: str, field: str) -> str:
    """A UUID in canonical form, or "" when ``value`` is blank."""
    if not value.strip():
        return ""
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError as exc:
        raise InvalidArgument(f"{field} must be a UUID", fields={field: "not a UUID"}) from exc


def limit_of(value: int, *, default: int, maximum: int = 500, field: str = "limit") -> int:
    """A page size: 0 = ``default``, else 1..``maximum``."""
    if value == 0:
        return default
    if not 1 <= value <= maximum:
        raise InvalidArgument(f"{field} must be 1..{maximum}", fields={field: "out of range"})
    return value
