"""The agents service as the gateway sees it: one method per RPC (principal, request id, deadline)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from switchyard.agents.v1 import agents_service_pb2 as pb
from switchyard.agents.v1 import agents_service_pb2_grpc as pb_grpc
from switchyard.agents.v1 import operator_pb2 as op
from switchyard.agents.v1 import routes_pb2
from switchyard.gateway.clients._base import ServiceClient
from switchyard.grpckit.principal import Principal

if TYPE_CHECKING:
    pass


class AgentsClient(ServiceClient):
    """Async client of ``switchyard.agents.v1.AgentsService``.

    Args:
        channel: A channel to agents (round robin over its replicas).
        signer: Signs the principal of each call.
        timeout: Deadline of each call, in seconds (calls that wait on an agent pass their own).
    """

    stub_type = pb_grpc.AgentsServiceStub

    # Enrolment.

    async def create_install_token(
        self, principal: Principal, *, name: str, ttl_seconds: int
    ) -> pb.CreateInstallTokenResponse:
        """Mint an install token for the caller's org (admin/owner)."""
        request = pb.CreateInstallTokenRequest(name=name, ttl_seconds=ttl_seconds)
        result: pb.CreateInstallTokenResponse = await self._call("CreateInstallToken", request, principal)
        return result

    async def refresh_install_token(
        self, principal: Principal, *, token: str
    ) -> pb.RefreshInstallTokenResponse:
        """Mint a successor of a signed install token (anonymous: the token is the proof)."""
        request = pb.RefreshInstallTokenRequest(token=token)
        result: pb.RefreshInstallTokenResponse = await self._call("RefreshInstallToken", request, principal)
        return result

    async def verify_install_token(
        self, principal: Principal, *, token: str
    ) -> pb.VerifyInstallTokenResponse:
        """Check an install token without spending it."""
        request = pb.VerifyInstallTokenRequest(token=token)
        result: pb.VerifyInstallTokenResponse = await self._call("VerifyInstallToken", request, principal)
        return result

    async def register_server(
        self, principal: Principal, *, token: str, hostname: str, machine_id: str, previous_server_id: str
    ) -> pb.RegisterServerResponse:
        """Trade an install token for a server id and credentials."""
        request = pb.RegisterServerRequest(
            token=token, hostname=hostname, machine_id=machine_id, previous_server_id=previous_server_id
        )
        result: pb.RegisterServerResponse = await self._call("RegisterServer", request, principal)
        return result

    async def refresh_agent_token(
        self, principal: Principal, *, refresh_token: str
    ) -> pb.RefreshAgentTokenResponse:
        """Rotate an agent refresh token."""
        request = pb.RefreshAgentTokenRequest(refresh_token=refresh_token)
        result: pb.RefreshAgentTokenResponse = await self._call("RefreshAgentToken", request, principal)
        return result

    async def recover_server(
        self, principal: Principal, *, bootstrap_key: str, machine_id: str
    ) -> pb.RecoverServerResponse:
        """Fresh credentials against a bootstrap key."""
        request = pb.RecoverServerRequest(bootstrap_key=bootstrap_key, machine_id=machine_id)
        result: pb.RecoverServerResponse = await self._call("RecoverServer", request, principal)
        return result

    async def revoke_server_credentials(
        self, principal: Principal, *, server_id: str
    ) -> pb.RevokeServerCredentialsResponse:
        """Revoke every credential of a server and force-disconnect it."""
        request = pb.RevokeServerCredentialsRequest(server_id=server_id)
        result: pb.RevokeServerCredentialsResponse = await self._call(
            "RevokeServerCredentials", request, principal
        )
        return result

    # Servers and commands (the agents core). Calls that wait on an agent pass a deadline longer than
    # the service's own wait, so the caller gets the service's answer (e.g. live_probe_error), not a 504.

    async def list_servers(self, principal: Principal, *, limit: int = 0) -> pb.ListServersResponse:
        """The org's servers, newest first."""
        result: pb.ListServersResponse = await self._call(
            "ListServers", pb.ListServersRequest(limit=limit), principal
        )
        return result

    async def get_server(self, principal: Principal, *, server_id: str) -> pb.GetServerResponse:
        """One server and its latest heartbeat snapshot."""
        result: pb.GetServerResponse = await self._call(
            "GetServer", pb.GetServerRequest(server_id=server_id), principal
        )
        return result

    async def delete_server(self, principal: Principal, *, server_id: str) -> pb.DeleteServerResponse:
        """Revoke, disconnect and remove a server."""
        result: pb.DeleteServerResponse = await self._call(
            "DeleteServer", pb.DeleteServerRequest(server_id=server_id), principal
        )
        return result

    async def get_server_status(self, principal: Principal, *, server_id: str) -> pb.GetServerStatusResponse:
        """Stored view merged with a live AGENT_STATUS probe (the probe waits up to 3 s)."""
        result: pb.GetServerStatusResponse = await self._call(
            "GetServerStatus", pb.GetServerStatusRequest(server_id=server_id), principal, deadline=10.0
        )
        return result

    async def ping_server(self, principal: Principal, *, server_id: str) -> pb.PingServerResponse:
        """An AGENT_PING round trip (the service waits up to 5 s)."""
        result: pb.PingServerResponse = await self._call(
            "PingServer", pb.PingServerRequest(server_id=server_id), principal, deadline=10.0
        )
        return result

    async def restart_agent(self, principal: Principal, *, server_id: str) -> pb.RestartAgentResponse:
        """RESTART_SELF."""
        result: pb.RestartAgentResponse = await self._call(
            "RestartAgent", pb.RestartAgentRequest(server_id=server_id), principal
        )
        return result

    async def get_agent_logs(
        self, principal: Principal, *, server_id: str, lines: int
    ) -> pb.GetAgentLogsResponse:
        """AGENT_LOGS (the service waits up to 15 s)."""
        result: pb.GetAgentLogsResponse = await self._call(
            "GetAgentLogs", pb.GetAgentLogsRequest(server_id=server_id, lines=lines), principal, deadline=20.0
        )
        return result

    async def disconnect_server(self, principal: Principal, *, server_id: str) -> pb.DisconnectServerResponse:
        """Force-close the server's live CommandStream."""
        result: pb.DisconnectServerResponse = await self._call(
            "DisconnectServer", pb.DisconnectServerRequest(server_id=server_id), principal
        )
        return result

    async def issue_command(
        self, principal: Principal, *, server_id: str, type: int, payload_json: str
    ) -> pb.IssueCommandResponse:
        """Queue a raw command."""
        request = pb.IssueCommandRequest(server_id=server_id, type=type, payload_json=payload_json)
        result: pb.IssueCommandResponse = await self._call("IssueCommand", request, principal)
        return result

    async def list_commands(
        self, principal: Principal, *, server_id: str, limit: int, cursor: str, statuses: list[str]
    ) -> pb.ListCommandsResponse:
        """A page of the server's command history, newest first."""
        request = pb.ListCommandsRequest(server_id=server_id, limit=limit, cursor=cursor, statuses=statuses)
        result: pb.ListCommandsResponse = await self._call("ListCommands", request, principal)
        return result

    async def get_command(self, principal: Principal, *, command_id: str) -> pb.GetCommandResponse:
        """One command."""
        result: pb.GetCommandResponse = await self._call(
            "GetCommand", pb.GetCommandRequest(command_id=command_id), principal
        )
        return result

    async def cancel_command(self, principal: Principal, *, command_id: str) -> pb.CancelCommandResponse:
        """Cancel a command (CANCEL_COMMAND for one already at the agent)."""
        result: pb.CancelCommandResponse = await self._call(
            "CancelCommand", pb.CancelCommandRequest(command_id=command_id), principal
        )
        return result

    async def get_queue_depth(self, principal: Principal, *, server_id: str) -> pb.GetQueueDepthResponse:
        """Unfinished commands by state."""
        result: pb.GetQueueDepthResponse = await self._call(
            "GetQueueDepth", pb.GetQueueDepthRequest(server_id=server_id), principal
        )
        return result

    async def drain_queue(self, principal: Principal, *, server_id: str) -> pb.DrainQueueResponse:
        """Cancel every pending command of the server."""
        result: pb.DrainQueueResponse = await self._call(
            "DrainQueue", pb.DrainQueueRequest(server_id=server_id), principal
        )
        return result

    # Operator actions: re-enrolment, Dwaar config revisions, the deploy-net table.

    async def reenroll_server(
        self, principal: Principal, *, server_id: str, installer_url: str
    ) -> op.ReenrollServerResponse:
        """Mint a one-shot install token and queue REENROLL (or answer a paste command when offline)."""
        request = op.ReenrollServerRequest(server_id=server_id, installer_url=installer_url)
        result: op.ReenrollServerResponse = await self._call("ReenrollServer", request, principal)
        return result

    async def patch_dwaar_config(
        self, principal: Principal, *, server_id: str, block: str, action: str, value: str
    ) -> op.PatchDwaarConfigResponse:
        """DWAAR_CONFIG_PATCH with a recorded revision (the service waits up to 35 s)."""
        request = op.PatchDwaarConfigRequest(server_id=server_id, block=block, action=action, value=value)
        result: op.PatchDwaarConfigResponse = await self._call(
            "PatchDwaarConfig", request, principal, deadline=45.0
        )
        return result

    async def list_dwaar_config_revisions(
        self, principal: Principal, *, server_id: str, limit: int
    ) -> op.ListDwaarConfigRevisionsResponse:
        """The server's latest Dwaar config revisions, newest first."""
        request = op.ListDwaarConfigRevisionsRequest(server_id=server_id, limit=limit)
        result: op.ListDwaarConfigRevisionsResponse = await self._call(
            "ListDwaarConfigRevisions", request, principal
        )
        return result

    async def rollback_dwaar_config(
        self, principal: Principal, *, server_id: str, revision_id: str
    ) -> op.RollbackDwaarConfigResponse:
        """The inverse patch of an applied revision (the service waits up to 35 s)."""
        request = op.RollbackDwaarConfigRequest(server_id=server_id, revision_id=revision_id)
        result: op.RollbackDwaarConfigResponse = await self._call(
            "RollbackDwaarConfig", request, principal, deadline=45.0
        )
        return result

    async def get_server_network(
        self, principal: Principal, *, server_id: str
    ) -> op.GetServerNetworkResponse:
        """NETWORK_INSPECT of deploy-net joined with the app mapping (the service waits up to 10 s)."""
        result: op.GetServerNetworkResponse = await self._call(
            "GetServerNetwork", op.GetServerNetworkRequest(server_id=server_id), principal, deadline=15.0
        )
        return result

    async def reconcile_dwaar(
        self, principal: Principal, *, server_id: str
    ) -> routes_pb2.ReconcileDwaarResponse:
        """Queues DWAAR_RECONCILE with the server's canonical routes."""
        result: routes_pb2.ReconcileDwaarResponse = await self._call(
            "ReconcileDwaar", routes_pb2.ReconcileDwaarRequest(server_id=server_id), principal
        )
        return result

    async def get_route_diff(
        self, principal: Principal, *, server_id: str
    ) -> routes_pb2.GetRouteDiffResponse:
        """ROUTE_LIST joined with the canonical routes (the service waits up to 10 s)."""
        result: routes_pb2.GetRouteDiffResponse = await self._call(
            "GetRouteDiff", routes_pb2.GetRouteDiffRequest(server_id=server_id), principal, deadline=15.0
        )
        return result
