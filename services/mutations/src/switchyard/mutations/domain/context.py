"""The collaborators every domain service gets from the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.mutations.domain.common import Clock
from switchyard.mutations.domain.ports import EventSink, HostDirectory, PendingMarkers


@dataclass(frozen=True, slots=True)
class Deps:
    """Database sessions, the clock and the ports; one instance per running server."""

    sessions: async_sessionmaker[AsyncSession]
    # Autocommit sessions for single-query reads (no BEGIN/ROLLBACK round trips).
    reads: async_sessionmaker[AsyncSession]
    clock: Clock
    events: EventSink
    hosts: HostDirectory
    markers: PendingMarkers
