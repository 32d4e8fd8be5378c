"""The collaborators every domain service gets from the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.deploy.domain.common import Clock
from switchyard.deploy.domain.ports import AgentCommands, EventSink, ProgressLog


@dataclass(frozen=True, slots=True)
class Deps:
    """Database sessions, the clock, the event sink, the agents' command queue and the env var key; one
    instance per server."""

    sessions: async_sessionmaker[AsyncSession]
    # Autocommit sessions for single-query reads (no BEGIN/ROLLBACK round trips).
    reads: async_sessionmaker[AsyncSession]
    clock: Clock
    events: EventSink
    # Commands to a server's agent go through the agents service.
    agents: AgentCommands
    # The AES-256 key env var values are sealed under.
    env_kek: bytes = field(repr=False)
    # Deployment events for watchers (None = not kept).
    progress: ProgressLog | None = None
    # A deploy hook deploys at most once per this many seconds.
    hook_min_interval_seconds: float = 10.0
