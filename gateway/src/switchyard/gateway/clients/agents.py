"""The agents service as the gateway sees it: one method per RPC (principal, request id, deadline)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from switchyard.agents.v1 import agents_service_pb2 as pb
from switchyard.agents.v1 import agents_service_pb2_grpc as pb_grpc
from switchyard.grpckit.client import call_metadata
from switchyard.grpckit.principal import Principal, PrincipalSigner

if TYPE_CHECKING:
    import grpc


class AgentsClient:
    """Async client of ``switchyard.agents.v1.AgentsService``.

    Args:
        channel: A channel to agents (round robin over its replicas).
        signer: Signs the principal of each call.
        timeout: Deadline of each call, in seconds (calls that wait on an agent pass their own).
    """

    def __init__(self, channel: grpc.aio.Channel, *, signer: PrincipalSigner, timeout: float) -> None:
        self._stub = pb_grpc.AgentsServiceStub(channel)  # type: ignore[no-untyped-call]
        self._signer = signer
        self._timeout = timeout

    async def _call(
        self, method: str, request: Any, principal: Principal, *, deadline: float | None = None
    ) -> Any:
        metadata = call_metadata(self._signer.sign(principal), principal.request_id)
        stub = getattr(self._stub, method)
        return await stub(request, metadata=metadata, timeout=deadline or self._timeout)

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
