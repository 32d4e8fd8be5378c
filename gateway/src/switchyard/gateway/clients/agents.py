"""The agents service as the gateway sees it: one method per RPC (principal, request id, deadline)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
