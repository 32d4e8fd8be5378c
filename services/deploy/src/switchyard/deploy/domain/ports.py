"""What the domain needs from the outside world, as protocols (implemented outside ``domain/``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.domain.events import Event


class EventSink(Protocol):
    """Queues events in the caller's transaction (the outbox)."""

    async def add(self, session: AsyncSession, event: Event) -> None:
        """Queue ``event``; it is published only if the transaction commits."""


@dataclass(frozen=True, slots=True)
class AgentCommand:
    """A command of the agents service as deploy sees it."""

    id: str
    server_id: str
    type: int
    status: str
    output: str


class AgentCommands(Protocol):
    """The agents service's command queue: deploy's only way to act on a server."""

    async def issue(
        self,
        *,
        org_id: str,
        server_id: str,
        type: int,
        payload: dict[str, Any],
        command_id: str = "",
        secret_payload: dict[str, Any] | None = None,
    ) -> AgentCommand:
        """Queue a command for the server's agent (durable; delivered now or when the agent connects).

        ``command_id`` makes the call idempotent (the same id again returns the stored command);
        ``secret_payload`` is sealed by the agents service and reaches only the agent.

        Raises:
            NotFound: the server is unknown to the org.
            Conflict: the server cannot take commands (revoked credentials).
            Unavailable: the agents service did not answer.
        """

    async def get(self, *, org_id: str, command_id: str) -> AgentCommand | None:
        """The command as stored, or None when the org has no such command."""

    async def cancel(self, *, org_id: str, command_id: str) -> AgentCommand | None:
        """Cancel a command (a pending one at once, a running one through CANCEL_COMMAND); None if unknown."""


class ProgressLog(Protocol):
    """The 24 h log of deployment events (JetStream ``DEPLOY_PROGRESS``); best effort."""

    async def append(self, *, deployment_id: str, status: str, message: str, at: datetime) -> None:
        """Append one event ``{ts, deploymentId, status, message}``."""
