"""The MutationsService servicer: every RPC maps pb to domain, calls one service function, maps back."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from switchyard.grpckit.principal import get_principal
from switchyard.mutations.domain.mutations.models import FailureAck
from switchyard.mutations.domain.mutations.service import MutationService
from switchyard.mutations.rpc import _mapping as m
from switchyard.mutations.v1 import mutations_service_pb2 as svc
from switchyard.mutations.v1 import mutations_service_pb2_grpc as grpc_api

SERVICE_NAME = "switchyard.mutations.v1.MutationsService"
Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class MutationsServicer(grpc_api.MutationsServiceServicer):
    """All four RPCs of ``switchyard.mutations.v1.MutationsService``."""

    def __init__(self, service: MutationService) -> None:
        self._s = service

    async def EnqueueMutation(
        self, request: svc.EnqueueMutationRequest, context: Context
    ) -> svc.EnqueueMutationResponse:
        """Queue a mutation."""
        view = await self._s.enqueue(
            principal=get_principal(),
            worker_host_id=request.worker_host_id,
            op=request.op,
            params=m.params_of(request.params),
        )
        return svc.EnqueueMutationResponse(mutation=m.mutation(view))

    async def ListMutations(
        self, request: svc.ListMutationsRequest, context: Context
    ) -> svc.ListMutationsResponse:
        """A host's history, newest first."""
        views = await self._s.list_for_host(
            principal=get_principal(), worker_host_id=request.worker_host_id, limit=request.limit
        )
        return svc.ListMutationsResponse(mutations=[m.mutation(v) for v in views])

    async def CancelMutation(
        self, request: svc.CancelMutationRequest, context: Context
    ) -> svc.CancelMutationResponse:
        """Cancel a pending mutation."""
        await self._s.cancel(principal=get_principal(), mutation_id=request.mutation_id)
        return svc.CancelMutationResponse(cancelled=True)

    async def DeliverOnHeartbeat(
        self, request: svc.DeliverOnHeartbeatRequest, context: Context
    ) -> svc.DeliverOnHeartbeatResponse:
        """Record ACKs, hand out pending mutations."""
        delivery = await self._s.deliver(
            principal=get_principal(),
            worker_host_id=request.worker_host_id,
            applied_ids=list(request.applied_mutation_ids),
            failures=[FailureAck(id=f.id, error=f.error) for f in request.mutation_failures],
        )
        return svc.DeliverOnHeartbeatResponse(
            pending_mutations=[m.pending_mutation(v) for v in delivery.pending],
            host_status=m.host_status(delivery.host_status),
        )


add_to_server = grpc_api.add_MutationsServiceServicer_to_server

__all__ = ["SERVICE_NAME", "MutationsServicer", "add_to_server"]
