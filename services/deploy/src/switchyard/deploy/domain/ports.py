"""What the domain needs from the outside world, as protocols (implemented outside ``domain/``)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.domain.events import Event


class EventSink(Protocol):
    """Queues events in the caller's transaction (the outbox)."""

    async def add(self, session: AsyncSession, event: Event) -> None:
        """Queue ``event``; it is published only if the transaction commits."""
