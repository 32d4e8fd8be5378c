"""pb <-> domain conversions shared by the servicers, the event writer and the Redis adapter."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from agent.v1 import agent_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.agents.domain.commands.models import CommandView
from switchyard.agents.domain.operator.rules import redacted_payload
from switchyard.agents.domain.servers.models import PresenceView, ServerState
from switchyard.agents.v1 import agents_pb2 as pb


def ts(value: datetime | None) -> Timestamp | None:
    """A Timestamp, or None so the field stays unset."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def when(stamp: Timestamp) -> datetime:
    """A Timestamp as an aware UTC datetime."""
    return stamp.ToDatetime(tzinfo=UTC)


def type_name(value: int) -> str:
    """The agent.v1.CommandType name of a number ("" when unknown)."""
    try:
        return str(agent_pb2.CommandType.Name(value))
    except ValueError:
        return ""


def command(view: CommandView) -> pb.AgentCommand:
    """The wire form of a stored command (a credential in its payload is redacted)."""
    return pb.AgentCommand(
        id=view.id,
        server_id=view.server_id,
        org_id=view.org_id,
        type=view.type,
        type_name=type_name(view.type),
        payload_json=json.dumps(redacted_payload(view.type, view.payload), separators=(",", ":")),
        status=view.status,
        output=view.output,
        requested_by=view.requested_by,
        created_at=ts(view.created_at),
        dispatched_at=ts(view.dispatched_at),
        started_at=ts(view.started_at),
        finished_at=ts(view.finished_at),
        final=view.final,
    )


def command_view(message: pb.AgentCommand) -> CommandView:
    """A stored command back from its wire form (the payload as sent: redacted)."""
    payload = json.loads(message.payload_json) if message.payload_json else {}
    return CommandView(
        id=message.id,
        server_id=message.server_id,
        org_id=message.org_id,
        type=message.type,
        payload=payload if isinstance(payload, dict) else {},
        status=message.status,
        output=message.output,
        requested_by=message.requested_by,
        created_at=when(message.created_at),
        dispatched_at=when(message.dispatched_at) if message.HasField("dispatched_at") else None,
        started_at=when(message.started_at) if message.HasField("started_at") else None,
        finished_at=when(message.finished_at) if message.HasField("finished_at") else None,
    )


def agent_command(view: CommandView) -> agent_pb2.Command:
    """The agent.v1 Command pushed down the stream (payload = the JSON object's bytes)."""
    return agent_pb2.Command(
        id=view.id,
        type=view.type,  # type: ignore[arg-type]
        payload=json.dumps(view.payload, separators=(",", ":")).encode(),
        issued_at=ts(view.created_at),
    )


def presence(view: PresenceView) -> pb.Presence:
    """The stored (and returned) snapshot."""
    return pb.Presence(
        online=True,
        last_heartbeat_at=ts(view.last_heartbeat_at),
        agent_version=view.agent_version,
        docker_reachable=view.docker_reachable,
        cpu_percent=view.cpu_percent,
        memory_used_mb=view.memory_used_mb,
        memory_total_mb=view.memory_total_mb,
        disk_used_mb=view.disk_used_mb,
        disk_total_mb=view.disk_total_mb,
        uptime_seconds=view.uptime_seconds,
        os_info=view.os_info,
        arch=view.arch,
    )


def presence_view(message: pb.Presence) -> PresenceView:
    """A stored snapshot back as a view."""
    return PresenceView(
        last_heartbeat_at=when(message.last_heartbeat_at),
        agent_version=message.agent_version,
        docker_reachable=message.docker_reachable,
        cpu_percent=message.cpu_percent,
        memory_used_mb=message.memory_used_mb,
        memory_total_mb=message.memory_total_mb,
        disk_used_mb=message.disk_used_mb,
        disk_total_mb=message.disk_total_mb,
        uptime_seconds=message.uptime_seconds,
        os_info=message.os_info,
        arch=message.arch,
    )


def heartbeat_presence(request: agent_pb2.HeartbeatRequest, received_at: datetime) -> PresenceView:
    """The snapshot a heartbeat carries (stamped with the server's clock: agents' clocks drift)."""
    system = request.system
    return PresenceView(
        last_heartbeat_at=received_at,
        agent_version=request.agent_version,
        docker_reachable=request.docker_reachable,
        cpu_percent=system.cpu_percent,
        memory_used_mb=system.memory_used_mb,
        memory_total_mb=system.memory_total_mb,
        disk_used_mb=system.disk_used_mb,
        disk_total_mb=system.disk_total_mb,
        uptime_seconds=system.uptime_seconds,
        os_info=system.os_info,
        arch=system.arch,
    )


def server(state: ServerState) -> pb.Server:
    """The wire form of a server with its live flags."""
    view = state.server
    return pb.Server(
        id=view.id,
        org_id=view.org_id,
        name=view.name,
        hostname=view.hostname,
        machine_id=view.machine_id,
        status=view.status,
        agent_version=(state.presence.agent_version if state.presence else "") or view.agent_version,
        online=state.online,
        last_heartbeat_at=ts(state.presence.last_heartbeat_at if state.presence else view.last_heartbeat_at),
        created_at=ts(view.created_at),
        enrolled_at=ts(view.enrolled_at),
        stream_connected=state.stream_connected,
    )


def presence_or_none(state: ServerState) -> pb.Presence | None:
    """The snapshot, or None to leave the field unset."""
    return presence(state.presence) if state.presence else None
