"""What the domain needs from the outside world, as protocols (implemented outside ``domain/``)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.agents.domain.commands.models import CommandView
from switchyard.agents.domain.events import Event
from switchyard.agents.domain.servers.models import PresenceView


class EventSink(Protocol):
    """Queues events in the caller's transaction (the outbox)."""

    async def add(self, session: AsyncSession, event: Event) -> None:
        """Queue ``event``; it is published only if the transaction commits."""


class ResultWaiter(Protocol):
    """Wakes up when a command's final result was stored (on any replica)."""

    @property
    def result(self) -> CommandView | None:
        """The final command as the wake-up carried it (None when it carried none: re-read the row)."""

    async def wait(self, seconds: float) -> bool:
        """True when the result arrived within ``seconds``."""


class CommandBus(Protocol):
    """Routes commands to whichever replica holds the agent's stream (core NATS)."""

    async def announce(self, server_id: str, command_id: str) -> None:
        """Tell the replica holding the server's stream that a pending command is stored."""

    async def finished(self, view: CommandView) -> None:
        """Wake every waiter of the command (its final state ``view`` is committed)."""

    async def disconnect(self, server_id: str) -> None:
        """Ask the replica holding the server's stream to close it."""

    def watch_result(self, command_id: str) -> AbstractAsyncContextManager[ResultWaiter]:
        """Listen for the command's result while the context is open (enter before issuing it)."""


class LiveState(Protocol):
    """Short-lived facts kept in Redis: presence snapshots, stream registrations, action guards."""

    async def save_presence(self, server_id: str, presence: PresenceView, raw: bytes, ttl: int) -> None:
        """Store the latest heartbeat snapshot (and the raw heartbeat) for ``ttl`` seconds."""

    async def presences(self, server_ids: Sequence[str]) -> dict[str, PresenceView]:
        """The live snapshots of these servers (absent ones are left out)."""

    async def connected(self, server_ids: Sequence[str]) -> set[str]:
        """Which of these servers have a live stream registration."""

    async def claim(self, name: str, server_id: str, ttl: int) -> bool:
        """Set a per-server guard for ``ttl`` seconds; False when it is already set."""

    async def forget(self, server_id: str) -> None:
        """Drop every live key of a deleted server."""

    async def release(self, name: str, server_id: str) -> None:
        """Clear a per-server guard before its TTL (the guarded action is over, or never started)."""


class ProgressSink(Protocol):
    """Publishes a command's progress frames (direct, best effort: finals go through the outbox)."""

    async def progress(
        self,
        *,
        org_id: str,
        server_id: str,
        command_id: str,
        type: int,
        status: str,
        output: str,
        at: datetime,
    ) -> None:
        """Publish one progress frame."""
