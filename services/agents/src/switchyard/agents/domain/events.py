"""Domain events; ``switchyard.agents.events`` turns them into protobuf payloads on the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from switchyard.agents.domain.commands.models import CommandView

COMMAND_FINISHED = "agents.command.finished"
SERVER_REVOKED = "agents.server.revoked"


@dataclass(frozen=True, slots=True)
class CommandFinished:
    """A command reached its final state (the agent's final frame, a cancel, or a drain)."""

    command: CommandView
    occurred_at: datetime
    subject: str = COMMAND_FINISHED

    @property
    def msg_id(self) -> str:
        """Deduplication id: a command finishes once."""
        return f"{self.command.id}.finished"


@dataclass(frozen=True, slots=True)
class ServerRevoked:
    """A server's credentials were revoked (here: because it was deleted)."""

    server_id: str
    org_id: str
    deleted: bool
    occurred_at: datetime
    subject: str = SERVER_REVOKED

    @property
    def msg_id(self) -> str:
        """Deduplication id."""
        return f"{self.server_id}.revoked.{int(self.occurred_at.timestamp() * 1000)}"


Event = CommandFinished | ServerRevoked
