"""The collaborators enrolment gets from the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.agents.domain.enrolment.ports import Disconnector, EventSink, Limits

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The real clock (UTC, timezone-aware)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class EnrolmentDeps:
    """Database sessions, the clock, the ports and the settings enrolment reads."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    events: EventSink
    limits: Limits
    disconnector: Disconnector
    # The HMAC key of install tokens.
    install_token_key: bytes
    install_token_ttl_seconds: int
    refresh_token_ttl_seconds: int
    # BACKEND_GRPC_ADDR handed to agents.
    agent_address: str
