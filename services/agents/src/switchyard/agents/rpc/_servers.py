"""Server RPCs of AgentsService: list/get/delete, status, ping, disconnect, restart, agent logs."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from switchyard.agents.domain.servers.service import ServerService
from switchyard.agents.rpc import _mapping as m
from switchyard.agents.v1 import agents_service_pb2 as svc
from switchyard.grpckit.principal import get_principal

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class ServersMixin:
    """ListServers, GetServer, DeleteServer, GetServerStatus, PingServer, DisconnectServer, RestartAgent,
    GetAgentLogs."""

    _servers: ServerService

    async def ListServers(self, request: svc.ListServersRequest, context: Context) -> svc.ListServersResponse:
        """The org's servers, newest first."""
        states = await self._servers.list_servers(principal=get_principal(), limit=request.limit)
        return svc.ListServersResponse(servers=[m.server(s) for s in states])

    async def GetServer(self, request: svc.GetServerRequest, context: Context) -> svc.GetServerResponse:
        """One server and its latest snapshot."""
        state = await self._servers.get(principal=get_principal(), server_id=request.server_id)
        return svc.GetServerResponse(server=m.server(state), presence=m.presence_or_none(state))

    async def DeleteServer(
        self, request: svc.DeleteServerRequest, context: Context
    ) -> svc.DeleteServerResponse:
        """Revoke, disconnect and remove a server."""
        deleted = await self._servers.delete(principal=get_principal(), server_id=request.server_id)
        return svc.DeleteServerResponse(deleted=deleted)

    async def GetServerStatus(
        self, request: svc.GetServerStatusRequest, context: Context
    ) -> svc.GetServerStatusResponse:
        """Stored view merged with a live AGENT_STATUS probe."""
        report = await self._servers.status(principal=get_principal(), server_id=request.server_id)
        return svc.GetServerStatusResponse(
            server=m.server(report.state),
            presence=m.presence_or_none(report.state),
            live_status_json=report.live_status_json,
            live_probe_error=report.live_probe_error,
            clock_skew_ms=report.clock_skew_ms,
        )

    async def PingServer(self, request: svc.PingServerRequest, context: Context) -> svc.PingServerResponse:
        """An AGENT_PING round trip."""
        result = await self._servers.ping(principal=get_principal(), server_id=request.server_id)
        return svc.PingServerResponse(
            rtt_ms=result.rtt_ms,
            clock_skew_ms=result.clock_skew_ms,
            agent_version=result.agent_version,
            command_id=result.command_id,
        )

    async def DisconnectServer(
        self, request: svc.DisconnectServerRequest, context: Context
    ) -> svc.DisconnectServerResponse:
        """Force-close the live stream wherever it is held."""
        closed = await self._servers.disconnect(principal=get_principal(), server_id=request.server_id)
        return svc.DisconnectServerResponse(disconnected=closed)

    async def RestartAgent(
        self, request: svc.RestartAgentRequest, context: Context
    ) -> svc.RestartAgentResponse:
        """RESTART_SELF."""
        queued = await self._servers.restart(principal=get_principal(), server_id=request.server_id)
        return svc.RestartAgentResponse(
            queued=True,
            command_id=queued.command_id,
            estimated_reconnect_seconds=queued.estimated_reconnect_seconds,
        )

    async def GetAgentLogs(
        self, request: svc.GetAgentLogsRequest, context: Context
    ) -> svc.GetAgentLogsResponse:
        """AGENT_LOGS."""
        logs = await self._servers.agent_logs(
            principal=get_principal(), server_id=request.server_id, lines=request.lines
        )
        return svc.GetAgentLogsResponse(text=logs.text, lines=logs.lines, command_id=logs.command_id)
