"""Bodies of ``/api/servers/*`` and ``/api/commands/*``: camelCase, times RFC 3339 (unset ones null).

Fields a seed names keep the seed's spelling: ``live_probe_error`` on the status view, and the
restart answer ``{queued, command_id, estimated_reconnect_seconds}``.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
from agent.v1 import agent_pb2
from switchyard.agents.v1 import agents_pb2, agents_service_pb2
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.schema import CamelStruct, rfc3339_or_none

TYPE_PREFIX = "COMMAND_TYPE_"


class Server(CamelStruct):
    """A server as the agents service knows it."""

    id: str
    org_id: str
    name: str
    hostname: str
    machine_id: str
    status: str
    agent_version: str
    online: bool
    stream_connected: bool
    last_heartbeat_at: str | None
    created_at: str | None
    enrolled_at: str | None


class Presence(CamelStruct):
    """The latest heartbeat snapshot."""

    last_heartbeat_at: str | None
    agent_version: str
    docker_reachable: bool
    cpu_percent: float
    memory_used_mb: int
    memory_total_mb: int
    disk_used_mb: int
    disk_total_mb: int
    uptime_seconds: int
    os_info: str
    arch: str


class ServerList(CamelStruct):
    """``GET /api/servers``."""

    servers: list[Server]


class ServerDetail(CamelStruct):
    """``GET /api/servers/{serverId}``."""

    server: Server
    presence: Presence | None


class ServerStatus(CamelStruct):
    """``GET /api/servers/{serverId}/status``: stored view + live AGENT_STATUS probe."""

    server: Server
    presence: Presence | None
    live_status: dict[str, Any] | None
    live_probe_error: str | None = msgspec.field(name="live_probe_error")
    clock_skew_ms: int | None


class Deleted(CamelStruct):
    """``DELETE /api/servers/{serverId}``."""

    deleted: bool


class Ping(CamelStruct):
    """``POST /api/servers/{serverId}/ping``."""

    rtt_ms: float
    clock_skew_ms: int
    agent_version: str
    command_id: str


class RestartQueued(msgspec.Struct, kw_only=True):
    """``POST /api/servers/{serverId}/restart-agent``: the seed's own field names."""

    queued: bool
    command_id: str
    estimated_reconnect_seconds: int


class AgentLogs(CamelStruct):
    """``GET /api/servers/{serverId}/agent-logs``."""

    text: str
    lines: int
    command_id: str


class Disconnected(CamelStruct):
    """``POST /api/servers/{serverId}/disconnect``."""

    disconnected: bool


class QueueDepth(CamelStruct):
    """``GET /api/servers/{serverId}/commands/queue``."""

    pending: int
    dispatched: int
    running: int
    total: int


class Drained(CamelStruct):
    """``POST /api/servers/{serverId}/commands/drain``."""

    drained: int


class CommandCreate(CamelStruct):
    """``POST /api/servers/{serverId}/commands``: an agent.v1 CommandType (name or number) and its payload."""

    type: str | int
    payload: dict[str, Any] = {}


class Command(CamelStruct):
    """One command and what the agent reported."""

    id: str
    server_id: str
    org_id: str
    type: int
    type_name: str
    payload: Any
    status: str
    output: str
    requested_by: str
    final: bool
    created_at: str | None
    dispatched_at: str | None
    started_at: str | None
    finished_at: str | None


class CommandEnvelope(CamelStruct):
    """One command."""

    command: Command


class CommandPage(CamelStruct):
    """``GET /api/servers/{serverId}/commands``: newest first."""

    commands: list[Command]
    next_cursor: str | None


class CancelResult(CamelStruct):
    """``POST /api/commands/{commandId}/cancel``."""

    cancelled: bool
    status: str
    cancel_command_id: str | None


def _or_none(message: object, field: str) -> str | None:
    return rfc3339_or_none(message, field)


def server_from_pb(server: agents_pb2.Server) -> Server:
    """Map an ``agents.v1.Server``."""
    return Server(
        id=server.id,
        org_id=server.org_id,
        name=server.name,
        hostname=server.hostname,
        machine_id=server.machine_id,
        status=server.status,
        agent_version=server.agent_version,
        online=server.online,
        stream_connected=server.stream_connected,
        last_heartbeat_at=_or_none(server, "last_heartbeat_at"),
        created_at=_or_none(server, "created_at"),
        enrolled_at=_or_none(server, "enrolled_at"),
    )


def presence_from_pb(owner: Any) -> Presence | None:
    """The ``presence`` of a response, or None when unset."""
    if not owner.HasField("presence"):
        return None
    p: agents_pb2.Presence = owner.presence
    return Presence(
        last_heartbeat_at=_or_none(p, "last_heartbeat_at"),
        agent_version=p.agent_version,
        docker_reachable=p.docker_reachable,
        cpu_percent=p.cpu_percent,
        memory_used_mb=p.memory_used_mb,
        memory_total_mb=p.memory_total_mb,
        disk_used_mb=p.disk_used_mb,
        disk_total_mb=p.disk_total_mb,
        uptime_seconds=p.uptime_seconds,
        os_info=p.os_info,
        arch=p.arch,
    )


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return text


def status_from_pb(response: agents_service_pb2.GetServerStatusResponse) -> ServerStatus:
    """Map GetServerStatus: the live part is null when the probe did not answer."""
    live = _json_or_text(response.live_status_json) if response.live_status_json else None
    probed = not response.live_probe_error
    return ServerStatus(
        server=server_from_pb(response.server),
        presence=presence_from_pb(response),
        live_status=live if isinstance(live, dict) else None,
        live_probe_error=response.live_probe_error or None,
        clock_skew_ms=response.clock_skew_ms if probed else None,
    )


def command_from_pb(command: agents_pb2.AgentCommand) -> Command:
    """Map an ``agents.v1.AgentCommand``."""
    return Command(
        id=command.id,
        server_id=command.server_id,
        org_id=command.org_id,
        type=command.type,
        type_name=command.type_name,
        payload=_json_or_text(command.payload_json),
        status=command.status,
        output=command.output,
        requested_by=command.requested_by,
        final=command.final,
        created_at=_or_none(command, "created_at"),
        dispatched_at=_or_none(command, "dispatched_at"),
        started_at=_or_none(command, "started_at"),
        finished_at=_or_none(command, "finished_at"),
    )


def command_type(value: str | int) -> int:
    """An agent.v1 CommandType from a number, or a name with or without ``COMMAND_TYPE_`` (any case)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip().upper()
    if text.isdigit():
        return int(text)
    name = text if text.startswith(TYPE_PREFIX) else TYPE_PREFIX + text
    try:
        return int(agent_pb2.CommandType.Value(name))
    except ValueError:
        raise GatewayError(400, f"type {value!r} is not a known agent.v1 CommandType") from None
