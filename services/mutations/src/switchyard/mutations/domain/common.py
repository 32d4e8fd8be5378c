"""Small helpers shared by the mutations domain (no I/O)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The real clock (UTC, timezone-aware)."""
    return datetime.now(UTC)


def new_mutation_id() -> str:
    """``mut_`` + 24 hex digits (96 random bits)."""
    return f"mut_{secrets.token_hex(12)}"
