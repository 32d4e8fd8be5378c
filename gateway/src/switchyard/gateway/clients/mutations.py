"""The mutations service as the gateway sees it: one method per RPC (principal, request id, deadline)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from switchyard.gateway.clients._base import ServiceClient
from switchyard.grpckit.principal import Principal
from switchyard.mutations.v1 import mutations_service_pb2 as pb
from switchyard.mutations.v1 import mutations_service_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from google.protobuf.struct_pb2 import Struct


class MutationsClient(ServiceClient):
    """Async client of ``switchyard.mutations.v1.MutationsService``.

    Args:
        channel: A channel to mutations (round robin over its replicas).
        signer: Signs the principal of each call.
        timeout: Deadline of each call, in seconds.
    """

    stub_type = pb_grpc.MutationsServiceStub

    async def enqueue_mutation(
        self, principal: Principal, *, worker_host_id: str, op: str, params: Struct
    ) -> pb.EnqueueMutationResponse:
        """Queue a mutation for a worker host of the caller's org."""
        request = pb.EnqueueMutationRequest(worker_host_id=worker_host_id, op=op, params=params)
        result: pb.EnqueueMutationResponse = await self._call("EnqueueMutation", request, principal)
        return result

    async def list_mutations(
        self, principal: Principal, *, worker_host_id: str, limit: int
    ) -> pb.ListMutationsResponse:
        """A host's mutations, newest first."""
        request = pb.ListMutationsRequest(worker_host_id=worker_host_id, limit=limit)
        result: pb.ListMutationsResponse = await self._call("ListMutations", request, principal)
        return result

    async def cancel_mutation(self, principal: Principal, *, mutation_id: str) -> pb.CancelMutationResponse:
        """Cancel a pending mutation (FAILED_PRECONDITION once delivered)."""
        request = pb.CancelMutationRequest(mutation_id=mutation_id)
        result: pb.CancelMutationResponse = await self._call("CancelMutation", request, principal)
        return result

    async def deliver_on_heartbeat(
        self, principal: Principal, request: pb.DeliverOnHeartbeatRequest
    ) -> pb.DeliverOnHeartbeatResponse:
        """Record a beat's ACKs and fetch what its response carries."""
        result: pb.DeliverOnHeartbeatResponse = await self._call("DeliverOnHeartbeat", request, principal)
        return result
