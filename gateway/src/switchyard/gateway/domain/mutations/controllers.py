"""``/api/daemon/mutations``: enqueue, list and cancel daemon-config mutations (delivery rides heartbeats)."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from switchyard.gateway.auth.workers import DAEMON
from switchyard.gateway.domain.mutations import schemas as s
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.schema import json_to_struct
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal

MAX_LIMIT = 500
DEFAULT_LIMIT = 100


class MutationsController(Controller):
    """Daemon mutations of the caller's org (an rsk_live_ key, or a user with X-Tenant-ID)."""

    path = "/api/daemon/mutations"
    tags = ["Worker Protocol"]
    security = [{"bearer": []}]
    dependencies = DAEMON

    @post(
        "/",
        status_code=201,
        operation_id="enqueueDaemonMutation",
        description="Enqueues a configuration mutation for delivery to a specific daemon host on its next heartbeat. Supported ops: `project.add` (add project to daemon allowlist), `project.remove` (remove project from allowlist), `pool.deleted` (notify daemon of a deleted resource pool), `modelAccess.set` (write a machine-scoped model-access policy), `modelAccess.clear` (clear a workload-specific access policy). Requires org admin/owner role. The cancel window closes as soon as the daemon's next heartbeat stamps `deliveredAt`.",  # noqa: E501
    )
    async def enqueue(
        self,
        data: JSONBody[s.MutationCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.MutationEnvelope:
        """Queue a mutation."""
        response = await gateway.mutations.enqueue_mutation(
            principal, worker_host_id=data.worker_host_id, op=data.op, params=json_to_struct(data.params)
        )
        return s.MutationEnvelope(mutation=s.mutation_from_pb(response.mutation))

    @get(
        "/",
        operation_id="listDaemonMutations",
        description="List daemon mutation history for a host (newest first). workerHostId must belong to the caller's org; limit is 1..500, default 100.",  # noqa: E501
    )
    async def list_mutations(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        workerHostId: FromQuery[str] = "",
        limit: FromQuery[int] = DEFAULT_LIMIT,
    ) -> s.MutationList:
        """A host's mutation history."""
        if not workerHostId:
            raise GatewayError(400, "workerHostId is required")
        if not 1 <= limit <= MAX_LIMIT:
            raise GatewayError(400, f"limit must be between 1 and {MAX_LIMIT}")
        response = await gateway.mutations.list_mutations(principal, worker_host_id=workerHostId, limit=limit)
        return s.MutationList(mutations=[s.mutation_from_pb(m) for m in response.mutations])

    @delete(
        "/{id:str}",
        status_code=200,
        operation_id="cancelDaemonMutation",
        description='Cancels a pending mutation before it is delivered to the daemon. Returns 409 {"cancelled": false, "reason": "already_delivered"} if already delivered or terminal. Returns 404 if the mutation does not exist or does not belong to the caller\'s org. Once a heartbeat delivers the mutation, the only way to "undo" is to enqueue the inverse op (e.g. `project.remove` for a wrongly applied `project.add`).',  # noqa: E501
    )
    async def cancel(
        self, id: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.MutationCancelled:
        """Cancel a pending mutation."""
        response = await gateway.mutations.cancel_mutation(principal, mutation_id=id)
        return s.MutationCancelled(cancelled=response.cancelled)


ROUTES = [MutationsController]
