"""The collaborators every domain service gets from the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.ingest.domain.common import Clock


@dataclass(frozen=True, slots=True)
class Deps:
    """Database sessions and the clock; one instance per server."""

    sessions: async_sessionmaker[AsyncSession]
    # Autocommit sessions for single-query reads (no BEGIN/ROLLBACK round trips).
    reads: async_sessionmaker[AsyncSession]
    clock: Clock
