"""What enrolment needs from the outside world, as protocols (adapters live in ``agents.enrolment_io``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.agents.domain.enrolment.events import Event


class EventSink(Protocol):
    """Queues events in the caller's transaction (the outbox)."""

    async def add(self, session: AsyncSession, event: Event) -> None:
        """Queue ``event``; it is published only if the transaction commits."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One counted attempt in a fixed window."""

    count: int
    # Seconds until the window resets.
    retry_after: int


class Limits(Protocol):
    """Shared counters and one-shot claims (every replica sees the same ones).

    Every method raises ``Unavailable`` when the store cannot be reached: enrolment fails closed.
    """

    async def hit(self, bucket: str, subject: str, *, window_seconds: int) -> Hit:
        """Count one attempt of ``subject`` in ``bucket``; the window starts at the first attempt."""

    async def claim(self, nonce: str, *, ttl_seconds: int) -> bool:
        """Claim an install-token nonce; False when it was claimed before (a replay)."""

    async def claimed(self, nonce: str) -> bool:
        """True when the nonce was claimed already (read only)."""

    async def unclaim(self, nonce: str) -> None:
        """Give a nonce back after a registration that failed before committing."""


class Disconnector(Protocol):
    """Tells whichever replica holds a server's CommandStream to close it."""

    async def disconnect(self, *, server_id: str, org_id: str) -> bool:
        """Ask for the stream to be closed; True when the request was published."""
