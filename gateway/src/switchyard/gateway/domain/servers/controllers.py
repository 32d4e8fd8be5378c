"""``/api/servers/*`` and ``/api/commands/*``: servers, operator actions through the agent, commands.

Reads take any member of the tenant (X-Tenant-ID); the agents service enforces admin/owner for
actions (restart, raw commands, cancel, drain, disconnect, delete) and answers another org's ids 404.
"""

from __future__ import annotations

import json

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from switchyard.gateway.auth.deps import TENANT
from switchyard.gateway.domain.servers import schemas as s
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal

TAGS = ["Servers"]
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


class ServersController(Controller):
    """Servers of the tenant and the operator actions run through their agents."""

    path = "/api/servers"
    tags = TAGS
    dependencies = TENANT
    security = SECURITY

    @get(
        "/",
        operation_id="ListServers",
        description="Lists the tenant's enrolled servers, newest first, with agent presence: online (a heartbeat within the presence TTL) and streamConnected (an agents replica holds its gRPC CommandStream). limit is 1..500, default 100.",  # noqa: E501
    )
    async def list_servers(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        limit: FromQuery[int] = 0,
    ) -> s.ServerList:
        """The tenant's servers."""
        response = await gateway.agents.list_servers(principal, limit=limit)
        return s.ServerList(servers=[s.server_from_pb(x) for x in response.servers])

    @get(
        "/{serverId:str}",
        operation_id="GetServer",
        description="Returns one server with its latest heartbeat snapshot (presence is null once the heartbeat is older than the presence TTL). Another tenant's server is 404.",  # noqa: E501
    )
    async def get_server(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.ServerDetail:
        """One server."""
        response = await gateway.agents.get_server(principal, server_id=serverId)
        return s.ServerDetail(server=s.server_from_pb(response.server), presence=s.presence_from_pb(response))

    @delete(
        "/{serverId:str}",
        status_code=200,
        operation_id="DeleteServer",
        description="Revokes the server's agent credentials, cancels its unfinished commands, force-disconnects its live gRPC CommandStream and removes the server. Requires tenant admin or owner.",  # noqa: E501
    )
    async def delete_server(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Deleted:
        """Remove a server."""
        response = await gateway.agents.delete_server(principal, server_id=serverId)
        return s.Deleted(deleted=response.deleted)

    @get(
        "/{serverId:str}/status",
        operation_id="GetServerStatus",
        description="Merges DB-side heartbeat state with a live AGENT_STATUS gRPC probe — agent version, uptime, docker reachable, disk/memory free, clock skew. Tolerates an unreachable agent: DB view is still returned with live_probe_error populated.",  # noqa: E501
    )
    async def status(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.ServerStatus:
        """Stored view + live probe."""
        return s.status_from_pb(await gateway.agents.get_server_status(principal, server_id=serverId))

    @post(
        "/{serverId:str}/ping",
        status_code=200,
        operation_id="PingServer",
        description="Issues a COMMAND_TYPE_AGENT_PING round-trip and returns RTT in milliseconds plus computed clock skew. 422 if the agent is offline; 504 if it does not answer within 5 s.",  # noqa: E501
    )
    async def ping(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Ping:
        """AGENT_PING."""
        response = await gateway.agents.ping_server(principal, server_id=serverId)
        return s.Ping(
            rtt_ms=response.rtt_ms,
            clock_skew_ms=response.clock_skew_ms,
            agent_version=response.agent_version,
            command_id=response.command_id,
        )

    @post(
        "/{serverId:str}/restart-agent",
        status_code=200,
        operation_id="RestartAgent",
        description="Issues COMMAND_TYPE_RESTART_SELF to the agent. Agent acks then exits after 1 s; systemd Restart=always reconnects it within ~5 s. Returns {queued:true, command_id, estimated_reconnect_seconds:5}. 409 if a restart was already issued within 30 s (double-click guard). 422 if the agent is offline.",  # noqa: E501
    )
    async def restart_agent(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.RestartQueued:
        """RESTART_SELF."""
        response = await gateway.agents.restart_agent(principal, server_id=serverId)
        return s.RestartQueued(
            queued=response.queued,
            command_id=response.command_id,
            estimated_reconnect_seconds=response.estimated_reconnect_seconds,
        )

    @get(
        "/{serverId:str}/agent-logs",
        operation_id="GetAgentLogs",
        description="Returns the last ?lines=N (default 200, capped at 2000) lines from the permanu-agent systemd unit via journalctl. 422 if the agent is offline.",  # noqa: E501
    )
    async def agent_logs(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        lines: FromQuery[int] = 0,
    ) -> s.AgentLogs:
        """AGENT_LOGS."""
        response = await gateway.agents.get_agent_logs(principal, server_id=serverId, lines=lines)
        return s.AgentLogs(text=response.text, lines=response.lines, command_id=response.command_id)

    @post(
        "/{serverId:str}/disconnect",
        status_code=200,
        operation_id="DisconnectServer",
        description="Force-disconnect a stale gRPC CommandStream. The replica holding it closes it; the agent reconnects with backoff. Returns {disconnected} (false when no stream was open).",  # noqa: E501
    )
    async def disconnect(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Disconnected:
        """Close the live stream."""
        response = await gateway.agents.disconnect_server(principal, server_id=serverId)
        return s.Disconnected(disconnected=response.disconnected)

    @get(
        "/{serverId:str}/commands",
        operation_id="ListServerCommands",
        description="Returns the last N command dispatches (pending/dispatched/running/completed/failed/cancelled), newest first, from the persisted per-server command history. limit is 1..500 (default 50); cursor is the nextCursor of the previous page; status filters by a comma-separated list of states.",  # noqa: E501
    )
    async def list_commands(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        limit: FromQuery[int] = 0,
        cursor: FromQuery[str] = "",
        status: FromQuery[str] = "",
    ) -> s.CommandPage:
        """A page of history."""
        statuses = [part.strip() for part in status.split(",") if part.strip()]
        response = await gateway.agents.list_commands(
            principal, server_id=serverId, limit=limit, cursor=cursor, statuses=statuses
        )
        return s.CommandPage(
            commands=[s.command_from_pb(c) for c in response.commands],
            next_cursor=response.next_cursor or None,
        )

    @post(
        "/{serverId:str}/commands",
        status_code=201,
        operation_id="IssueServerCommand",
        description="Queues a raw agent command: {type: an agent.v1 CommandType name (e.g. AGENT_STATUS or COMMAND_TYPE_AGENT_STATUS) or number, payload: JSON object}. The command is durable: it is delivered when the agent's stream is (or next becomes) connected, on whichever agents replica holds it. Requires tenant admin or owner.",  # noqa: E501
    )
    async def issue_command(
        self,
        serverId: FromPath[str],
        data: JSONBody[s.CommandCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.CommandEnvelope:
        """Queue a command."""
        response = await gateway.agents.issue_command(
            principal,
            server_id=serverId,
            type=s.command_type(data.type),
            payload_json=json.dumps(data.payload),
        )
        return s.CommandEnvelope(command=s.command_from_pb(response.command))

    @get(
        "/{serverId:str}/commands/queue",
        operation_id="GetServerCommandQueue",
        description="Get command queue depth for a server: unfinished commands by state (pending, dispatched, running) and their total.",  # noqa: E501
    )
    async def queue_depth(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.QueueDepth:
        """Queue depth."""
        r = await gateway.agents.get_queue_depth(principal, server_id=serverId)
        return s.QueueDepth(
            pending=r.pending,
            dispatched=r.dispatched,
            running=r.running,
            total=r.pending + r.dispatched + r.running,
        )

    @post(
        "/{serverId:str}/commands/drain",
        status_code=200,
        operation_id="DrainServerCommandQueue",
        description="Drain all queued commands for a server: every pending (not yet delivered) command is cancelled. Returns {drained}. Requires tenant admin or owner.",  # noqa: E501
    )
    async def drain(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Drained:
        """Cancel every pending command."""
        response = await gateway.agents.drain_queue(principal, server_id=serverId)
        return s.Drained(drained=response.drained)


class CommandsController(Controller):
    """One command, whatever its server."""

    path = "/api/commands"
    tags = TAGS
    dependencies = TENANT
    security = SECURITY

    @get(
        "/{commandId:str}",
        operation_id="GetCommand",
        description="Returns one agent command with its state (pending → dispatched → running → completed|failed|cancelled|queued|error) and output (the last 1 MiB). Another tenant's command is 404.",  # noqa: E501
    )
    async def get_command(
        self,
        commandId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.CommandEnvelope:
        """One command."""
        response = await gateway.agents.get_command(principal, command_id=commandId)
        return s.CommandEnvelope(command=s.command_from_pb(response.command))

    @post(
        "/{commandId:str}/cancel",
        status_code=200,
        operation_id="CancelCommand",
        description="Cancels a command: a pending one is cancelled at once; a dispatched or running one gets a COMMAND_TYPE_CANCEL_COMMAND sent to its agent (cancelCommandId). 409 once the command has finished. Requires tenant admin or owner.",  # noqa: E501
    )
    async def cancel(
        self,
        commandId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.CancelResult:
        """Cancel a command."""
        response = await gateway.agents.cancel_command(principal, command_id=commandId)
        return s.CancelResult(
            cancelled=response.cancelled,
            status=response.status,
            cancel_command_id=response.cancel_command_id or None,
        )


ROUTES = [ServersController, CommandsController]
