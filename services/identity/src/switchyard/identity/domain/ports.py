"""What the domain needs from the outside world, as protocols the composition root fills."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.identity.domain.events import Event


@dataclass(frozen=True, slots=True)
class Mail:
    """One outgoing mail; the body may carry a token, so it is never logged."""

    to: str
    subject: str
    body: str


class Mailer(Protocol):
    """Sends mail after the transaction that produced it has committed."""

    async def send_all(self, mails: Sequence[Mail]) -> None:
        """Send every mail; failures are logged (without bodies), never raised."""


class EventSink(Protocol):
    """Writes domain events to the outbox inside the caller's transaction."""

    async def add(self, session: AsyncSession, event: Event) -> None:
        """Queue ``event`` for publication when ``session`` commits."""


class RateLimiter(Protocol):
    """A shared once-per-window gate (Redis ``SET NX EX`` in production)."""

    async def acquire(self, key: str, *, seconds: int) -> bool:
        """True when ``key`` was free and is now held for ``seconds``."""
