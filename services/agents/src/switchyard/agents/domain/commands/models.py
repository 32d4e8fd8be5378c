"""Command views (what the repository returns and the services hand to the transport)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from switchyard.agents.domain.common import FINAL_STATUSES


@dataclass(frozen=True, slots=True)
class CommandView:
    """One stored command."""

    id: str
    server_id: str
    org_id: str
    type: int
    payload: dict[str, Any]
    status: str
    output: str
    requested_by: str
    created_at: datetime
    dispatched_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # The sealed payload part (delivered to the agent only); never mapped to the wire or to events.
    secret_enc: bytes | None = field(default=None, repr=False)

    @property
    def final(self) -> bool:
        """True once the command reached a final state."""
        return self.status in FINAL_STATUSES


@dataclass(frozen=True, slots=True)
class CommandPage:
    """One page of a server's history, newest first."""

    commands: list[CommandView]
    next_cursor: str = ""


@dataclass(frozen=True, slots=True)
class QueueDepth:
    """Unfinished commands of a server, by state."""

    pending: int = 0
    dispatched: int = 0
    running: int = 0


@dataclass(frozen=True, slots=True)
class CancelOutcome:
    """What CancelCommand did."""

    cancelled: bool
    status: str
    cancel_command_id: str = ""
