"""Views and ports of the operator actions (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

# agent.v1.CommandType numbers these actions send.
NETWORK_INSPECT = 122
REENROLL = 124
DWAAR_CONFIG_PATCH = 151

# Revision states.
APPLIED = "applied"
ERROR = "error"


@dataclass(frozen=True, slots=True)
class DwaarPatch:
    """A DWAAR_CONFIG_PATCH payload."""

    block: str
    action: str
    value: str = ""

    def payload(self) -> dict[str, Any]:
        """The JSON object the agent parses."""
        return {"block": self.block, "action": self.action, "value": self.value}


@dataclass(frozen=True, slots=True)
class Revision:
    """One recorded patch (or rollback) of a server's Dwaarfile."""

    id: str
    server_id: str
    org_id: str
    patch: DwaarPatch
    status: str
    error: str
    reply: dict[str, Any] | None
    inverse: DwaarPatch | None
    command_id: str
    rollback_of: str
    requested_by: str
    created_at: datetime
    # The applied revision that rolled this one back ("" while none did).
    rolled_back_by: str = ""

    @property
    def rollbackable(self) -> bool:
        """Applied, invertible, and not rolled back yet."""
        return self.status == APPLIED and self.inverse is not None and not self.rolled_back_by


@dataclass(frozen=True, slots=True)
class PatchOutcome:
    """A recorded, applied revision and the agent's reply."""

    revision: Revision
    reply: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reenrolment:
    """What ReenrollServer did: queued REENROLL for a live agent, or handed out a paste command."""

    online: bool
    install_url: str
    expires_at: datetime
    paste_command: str
    command_id: str = ""


@dataclass(frozen=True, slots=True)
class AppRef:
    """The app (and deployment) a container belongs to."""

    app_id: str
    deployment_id: str = ""


@dataclass(frozen=True, slots=True)
class NetworkMember:
    """One container on deploy-net."""

    container_id: str
    container_name: str
    ipv4_address: str
    mac_address: str
    app: AppRef | None
    unexpected_on_deploy_net: bool


@dataclass(frozen=True, slots=True)
class NetworkTable:
    """The deploy-net membership table of one server."""

    network_id: str
    network_name: str
    driver: str
    command_id: str
    containers: list[NetworkMember] = field(default_factory=list)
    error: str = ""


class ContainerApps(Protocol):
    """Which app each container of a server belongs to (deploy's mapping, the heartbeat's source)."""

    async def for_server(self, server_id: str) -> Mapping[str, AppRef]:
        """Container name or id -> app."""
