"""What the domain needs from the outside world, as protocols (implemented outside ``domain/``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.mutations.domain.events import Event


class EventSink(Protocol):
    """Queues events in the caller's transaction (the outbox)."""

    async def add(self, session: AsyncSession, event: Event) -> None:
        """Queue ``event``; it is published only if the transaction commits."""


class HostDirectory(Protocol):
    """Answers which org a worker host belongs to (the workers service)."""

    async def org_of(self, worker_id: str) -> str | None:
        """The org of a live worker, or None when the worker is unknown.

        Raises:
            Unavailable: The directory could not be asked.
        """

    async def track_open(self, opened: Sequence[tuple[str, str]]) -> None:
        """Tell the directory that these ``(host, mutation id)`` pairs are open, so their hosts' next
        heartbeats ask for delivery (the directory also learns it from events; this makes it immediate).

        Raises:
            Unavailable: The directory could not be told.
        """


class MarkerUnavailable(Exception):
    """The pending-marker store could not be reached; callers fall back to PostgreSQL."""


class PendingMarkers(Protocol):
    """A per-host flag saying "this host may have open mutations", so idle heartbeats skip PostgreSQL.

    Each ``mark`` stores a fresh token; ``clear`` removes the flag only when it still holds the token the
    caller read before looking at PostgreSQL, so a mark made meanwhile is never lost. Every method raises
    ``MarkerUnavailable`` when the store is down.
    """

    async def peek(self, host: str) -> str | None:
        """The host's current token, or None when no mutation is open for it."""

    async def mark(self, host: str) -> None:
        """Flag the host with a fresh token."""

    async def ensure(self, host: str) -> bool:
        """Flag the host unless it is flagged already; True when a flag was added."""

    async def clear(self, host: str, token: str) -> None:
        """Remove the flag if it still holds ``token``."""
