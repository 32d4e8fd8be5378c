"""Enrolment's domain events; ``agents.enrolment_io`` turns them into ``events.proto`` payloads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from switchyard.agents.domain.enrolment.models import ServerView

REGISTERED = "agents.server.registered"
REVOKED = "agents.server.revoked"


@dataclass(frozen=True, slots=True)
class ServerRegistered:
    """A server enrolled, or a previous server id was relinked."""

    server: ServerView
    relinked: bool
    occurred_at: datetime
    subject: str = REGISTERED

    @property
    def msg_id(self) -> str:
        """Deduplication id: one per enrolment of a server."""
        return f"{self.server.id}.registered.{self.occurred_at.timestamp():.6f}"


@dataclass(frozen=True, slots=True)
class ServerRevoked:
    """Every credential of a server was revoked."""

    server_id: str
    org_id: str
    occurred_at: datetime
    deleted: bool = False
    subject: str = REVOKED

    @property
    def msg_id(self) -> str:
        """Deduplication id: one per revocation of a server."""
        return f"{self.server_id}.revoked.{self.occurred_at.timestamp():.6f}"


Event = ServerRegistered | ServerRevoked
