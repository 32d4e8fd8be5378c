"""Small helpers shared by the deploy domain (no I/O)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from switchyard.grpckit.errors import InvalidArgument

Clock = Callable[[], datetime]

SLUG = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
NAME_MAX = 100
DESCRIPTION_MAX = 1000


def utcnow() -> datetime:
    """The real clock (UTC, timezone-aware)."""
    return datetime.now(UTC)


def new_id() -> str:
    """A random UUID as text: the id of every deploy row except the feed's."""
    return str(uuid.uuid4())


def name_of(value: str, field: str = "name") -> str:
    """A display name: trimmed, 1..100 characters, no control characters."""
    text = value.strip()
    if not text:
        raise InvalidArgument(f"{field} is required")
    if len(text) > NAME_MAX:
        raise InvalidArgument(f"{field} must be at most {NAME_MAX} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InvalidArgument(f"{field} must not contain control characters")
    return text


def description_of(value: str, field: str = "description") -> str:
    """A free-text description of at most 1000 characters."""
    text = value.strip()
    if len(text) > DESCRIPTION_MAX:
        raise InvalidArgument(f"{field} must be at most {DESCRIPTION_MAX} characters")
    return text


def slug_of(slug: str, *, name: str, field: str = "slug") -> str:
    """The given slug (validated), or one derived from ``name`` when it is empty."""
    if not slug:
        slug = _NOT_SLUG.sub("-", name.lower()).strip("-")[:63].strip("-")
        if not slug:
            raise InvalidArgument(f"{field} is required (the name has no letters or digits)")
    if not SLUG.match(slug):
        raise InvalidArgument(f"{field} must be lowercase letters, digits and '-' (at most 63 characters)")
    return slug


def uuidish(value: str, field: str) -> str:
    """A UUID in canonical form (the agents service's server ids are UUIDs)."""
    if not value.strip():
        raise InvalidArgument(f"{field} is required")
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError as exc:
        raise InvalidArgument(f"{field} must be a UUID") from exc


def violates(exc: IntegrityError, constraint: str) -> bool:
    """True when ``exc`` is a violation of the named constraint."""
    return constraint in str(exc.orig)


def camel(name: str) -> str:
    """``health_check_path`` -> ``healthCheckPath`` (how the API names fields)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
