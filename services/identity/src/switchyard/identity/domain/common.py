"""Validation and small helpers shared by every identity aggregate (no I/O)."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from switchyard.grpckit.errors import InvalidArgument, NotFound

Clock = Callable[[], datetime]

EMAIL_MAX = 254
PASSWORD_MIN = 8
PASSWORD_MAX = 128
DISPLAY_NAME_MAX = 100
NAME_MAX = 100

# Deliberately simple: one "@", a dot in the domain, no spaces. Deliverability is proven by the mail.
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def utcnow() -> datetime:
    """The real clock (UTC, timezone-aware)."""
    return datetime.now(UTC)


def parse_id(value: str, *, field: str) -> uuid.UUID:
    """Parse a UUID request field, or raise InvalidArgument naming it."""
    if not value:
        raise InvalidArgument(f"{field} is required")
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError) as exc:
        raise InvalidArgument(f"{field} is not a valid id") from exc


def find_id(value: str, *, not_found: str) -> uuid.UUID:
    """Parse an id that names something to look up; a malformed one simply does not exist."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError) as exc:
        raise NotFound(not_found) from exc


def normalize_email(value: str, *, field: str = "email") -> str:
    """Trim, lower-case and validate an email address."""
    email = (value or "").strip().lower()
    if not email:
        raise InvalidArgument(f"{field} is required")
    if len(email) > EMAIL_MAX:
        raise InvalidArgument(f"{field} must be at most {EMAIL_MAX} characters")
    if not _EMAIL_RE.match(email):
        raise InvalidArgument(f"{field} is not a valid email address")
    return email


def validate_password(value: str, *, field: str = "password") -> str:
    """Apply the password policy (8..128 characters)."""
    if not value:
        raise InvalidArgument(f"{field} is required")
    if len(value) < PASSWORD_MIN:
        raise InvalidArgument(f"{field} must be at least {PASSWORD_MIN} characters")
    if len(value) > PASSWORD_MAX:
        raise InvalidArgument(f"{field} must be at most {PASSWORD_MAX} characters")
    return value


def validate_name(value: str, *, field: str, max_len: int = NAME_MAX) -> str:
    """Trim a display name or key name and check it is 1..max_len characters."""
    name = (value or "").strip()
    if not name:
        raise InvalidArgument(f"{field} is required")
    if len(name) > max_len:
        raise InvalidArgument(f"{field} must be at most {max_len} characters")
    return name


def new_token() -> str:
    """A URL-safe random token for mailed links (256 bits)."""
    return secrets.token_urlsafe(32)


def hash_token(raw: str) -> str:
    """SHA-256 hex of a token: what the database keeps instead of the token."""
    return hashlib.sha256(raw.encode()).hexdigest()


def slugify(name: str) -> str:
    """Lower-case ASCII slug: apostrophes vanish, other runs of non-alphanumerics become one dash."""
    text = name.lower().replace("'", "").replace("\u2019", "")
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug or "team"


def personal_tenant_name(display_name: str) -> str:
    """The personal tenant's name: "<first word of displayName>'s Team"."""
    first = display_name.split()[0] if display_name.split() else display_name
    return f"{first}'s Team"


def next_slug(base: str, taken: set[str]) -> str:
    """``base`` when free, else the first free ``base-2``, ``base-3``, ..."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
