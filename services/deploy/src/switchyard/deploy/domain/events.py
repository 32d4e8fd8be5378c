"""Domain events; ``switchyard.deploy.events`` turns them into protobuf payloads on the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

CHANGE_RECORDED = "deploy.change.recorded"
ENVVAR_REVEALED = "deploy.envvar.revealed"
ROUTES_CHANGED = "deploy.routes.changed"


@dataclass(frozen=True, slots=True)
class ChangeView:
    """One entry of the change feed, as stored."""

    id: int
    org_id: str
    type: str
    entity_type: str
    entity_id: str
    app_id: str | None
    actor: str
    summary: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ChangeRecorded:
    """A change entered the feed."""

    change: ChangeView
    subject: str = CHANGE_RECORDED

    @property
    def msg_id(self) -> str:
        """Deduplication id: feed ids are unique."""
        return f"change.{self.change.id}"


@dataclass(frozen=True, slots=True)
class EnvVarRevealed:
    """Someone read an env var's plaintext (the event never carries it)."""

    reveal_id: int
    org_id: str
    app_id: str
    environment: str
    key: str
    actor: str
    reason: str
    occurred_at: datetime
    subject: str = ENVVAR_REVEALED

    @property
    def msg_id(self) -> str:
        """Deduplication id: one message per audit record."""
        return f"reveal.{self.reveal_id}"


@dataclass(frozen=True, slots=True)
class ServerRoutesChanged:
    """A server's canonical route set changed: the whole set, versioned per server."""

    server_id: str
    org_id: str
    version: int
    # ``switchyard.deploy.domain.domains.models.Route`` items (kept untyped: no import cycle).
    routes: tuple[Any, ...]
    occurred_at: datetime
    subject: str = ROUTES_CHANGED

    @property
    def msg_id(self) -> str:
        """Deduplication id: one message per server and version."""
        return f"routes.{self.server_id}.{self.version}"


Event = ChangeRecorded | EnvVarRevealed | ServerRoutesChanged
