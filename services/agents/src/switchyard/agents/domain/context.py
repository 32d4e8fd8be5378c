"""The collaborators every domain service gets from the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.agents.domain.common import Clock
from switchyard.agents.domain.ports import CommandBus, EventSink, LiveState, ProgressSink


@dataclass(frozen=True, slots=True)
class Deps:
    """Database sessions, the clock and the ports; one instance per running server."""

    sessions: async_sessionmaker[AsyncSession]
    # Autocommit sessions: single-query reads, and single-statement writes (one statement is atomic on
    # its own), without BEGIN/COMMIT round trips. Anything with two statements uses ``sessions``.
    reads: async_sessionmaker[AsyncSession]
    clock: Clock
    events: EventSink
    bus: CommandBus
    live: LiveState
    # agent.v1.CommandType number -> name (the wire enum, handed in by the composition root).
    command_types: Mapping[int, str]
    presence_ttl_seconds: int = 90
    # The AES-256 key sealed command secrets are stored under (empty = secrets refused).
    command_kek: bytes = field(default=b"", repr=False)
    # Where progress frames are published (``agents.command.progress``); None = not published.
    progress: ProgressSink | None = None
