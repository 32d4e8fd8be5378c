"""Worker protocol routes: ``/v1/daemon/*`` (daemon-native) and ``/api/workers/*`` (AF-compatible).

Registration takes a registration token (an rsk_live_ org key); every later call takes the runtime JWT
the registration returned, whose ``sub`` must be the ``{id}`` of the path (else 403).
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from switchyard.gateway.auth.deps import PUBLIC
from switchyard.gateway.auth.workers import REFRESH, REGISTRATION, WORKER_ANY, WORKER_SELF, org_key_from_token
from switchyard.gateway.domain.workers import schemas as s
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.request_id import request_id_of
from switchyard.gateway.schema import epoch_ms, rfc3339
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal
from switchyard.mutations.v1 import mutations_service_pb2 as mpb
from switchyard.workers.v1 import workers_service_pb2 as pb

TAGS = ["Worker Protocol"]
# What a beat gets when no mutation is open for its host (read-only: never mutate it).
NO_DELIVERY = mpb.DeliverOnHeartbeatResponse()
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


class DaemonController(Controller):
    """The daemon-native flavour (TS daemon): token in the register body, intervals in seconds."""

    path = "/v1/daemon"
    tags = TAGS

    @post(
        "/register",
        status_code=200,
        dependencies=PUBLIC,
        operation_id="daemonRegister",
        description="Daemon-native worker registration. The registration token (rsk_live_) travels in the body; the answer carries the worker id, its runtime JWT and the heartbeat and poll intervals in seconds.",  # noqa: E501
    )
    async def register(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[s.DaemonRegister],
        gateway: NamedDependency[Gateway],
    ) -> s.DaemonRegistered:
        """Register with the token in the body."""
        principal = await org_key_from_token(
            gateway, data.registration_token, request_id=request_id_of(request.scope)
        )
        response = await gateway.workers.register_worker(principal, s.daemon_register_request(data))
        return s.DaemonRegistered(
            worker_id=response.worker_id,
            runtime_jwt=response.runtime_token,
            heartbeat_interval_seconds=s.ms_to_seconds(response.heartbeat_interval_ms),
            poll_interval_seconds=s.ms_to_seconds(response.poll_interval_ms),
        )

    @post(
        "/heartbeat",
        status_code=200,
        dependencies=WORKER_ANY,
        security=SECURITY,
        operation_id="daemonHeartbeat",
        description="Daemon heartbeat (v1). Runtime JWT only (registration tokens and legacy keys are rejected); the body's workerId must be the token's worker. Resets the worker's liveness TTL.",  # noqa: E501
    )
    async def heartbeat(
        self,
        data: JSONBody[s.DaemonHeartbeat],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.DaemonHeartbeatAck:
        """One beat of a daemon-native worker."""
        if data.worker_id != principal.worker_id:
            raise GatewayError(403, "the runtime token belongs to another worker")
        request = pb.HeartbeatRequest(
            worker_id=data.worker_id,
            status=data.status,
            active_count=data.active_sessions,
            max_sessions=data.max_sessions,
            hostname=data.hostname,
            region=data.region,
            capabilities=s.entry_ids(data.capabilities),
            version=data.version,
        )
        beat = await gateway.workers.heartbeat(principal, request)
        return s.DaemonHeartbeatAck(
            acknowledged=beat.acknowledged,
            server_time=rfc3339(beat.server_time),
            pending_work_count=beat.pending_work_count,
            ok=beat.acknowledged,
            server_time_ms=epoch_ms(beat.server_time),
        )


class WorkersController(Controller):
    """The AF-compatible flavour the Go daemon speaks: Bearer tokens, intervals in ms."""

    path = "/api/workers"
    tags = TAGS
    security = SECURITY

    @post(
        "/register",
        status_code=201,
        dependencies=REGISTRATION,
        operation_id="workersRegister",
        description="AF-compatible worker registration. Bearer registration token (rsk_live_ with worker:register); returns the worker id, the runtime token and its expiry, and the heartbeat and poll intervals in ms.",  # noqa: E501
    )
    async def register(
        self,
        data: JSONBody[s.WorkerRegister],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.WorkerRegistered:
        """Register with the token as Bearer."""
        response = await gateway.workers.register_worker(principal, s.worker_register_request(data))
        return s.WorkerRegistered(
            worker_id=response.worker_id,
            heartbeat_interval=response.heartbeat_interval_ms,
            poll_interval=response.poll_interval_ms,
            runtime_token=response.runtime_token,
            runtime_token_expires_at=rfc3339(response.runtime_token_expires_at),
        )

    @post(
        "/{id:str}/heartbeat",
        status_code=200,
        dependencies=WORKER_SELF,
        operation_id="workerHeartbeat",
        description="AF-compatible worker heartbeat. Refreshes the worker's liveness and carries daemon mutations: pendingMutations to apply (ACK them on the next beat with appliedMutations / mutationFailures) and hostStatus after a pool change. A sessionShim is echoed back with acknowledged:true. 404 for an unknown worker.",  # noqa: E501
    )
    async def heartbeat(
        self,
        id: FromPath[str],
        data: JSONBody[s.WorkerHeartbeat],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.HeartbeatAck:
        """One beat. Presence first; the mutations service only when workers says a mutation is open for
        this host, or in parallel when the beat carries ACKs, so an idle beat is a single gRPC hop."""
        presence = gateway.workers.heartbeat(principal, s.heartbeat_request(id, data))
        if data.applied_mutations or data.mutation_failures:
            beat, delivery = await asyncio.gather(
                presence, gateway.mutations.deliver_on_heartbeat(principal, s.deliver_request(id, data))
            )
            return s.heartbeat_ack(beat, delivery, data.session_shim)
        beat = await presence
        if not beat.mutations_pending:
            return s.heartbeat_ack(beat, NO_DELIVERY, data.session_shim)
        delivery = await gateway.mutations.deliver_on_heartbeat(principal, s.deliver_request(id, data))
        return s.heartbeat_ack(beat, delivery, data.session_shim)

    @post(
        "/{id:str}/refresh-token",
        status_code=200,
        dependencies=REFRESH,
        operation_id="workerRefreshToken",
        description="Refresh expired runtime JWT. Accepts the registration token as Bearer (what the daemon sends) or the worker's own runtime JWT; the worker id is kept.",  # noqa: E501
    )
    async def refresh_token(
        self, id: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.TokenRefreshed:
        """A new runtime JWT for the same worker."""
        response = await gateway.workers.refresh_runtime_token(principal, worker_id=id)
        expires_at = rfc3339(response.runtime_token_expires_at)
        return s.TokenRefreshed(
            worker_id=response.worker_id or id,
            runtime_token=response.runtime_token,
            expires_at=expires_at,
            runtime_token_expires_at=expires_at,
            heartbeat_interval=response.heartbeat_interval_ms,
            poll_interval=response.poll_interval_ms,
        )

    @delete(
        "/{id:str}",
        status_code=200,
        dependencies=WORKER_SELF,
        operation_id="workerDeregister",
        description="Deregisters the worker. Sessions it had claimed but not started go back to the queue and are listed in unclaimedSessions.",  # noqa: E501
    )
    async def deregister(
        self, id: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.Deregistered:
        """Remove the worker."""
        response = await gateway.workers.deregister_worker(principal, worker_id=id)
        return s.Deregistered(
            deregistered=response.deregistered, unclaimed_sessions=list(response.unclaimed_session_ids)
        )

    @get(
        "/{id:str}/poll",
        dependencies=WORKER_SELF,
        operation_id="workerPoll",
        description="Poll for queued work. Pre-claims up to min(capacity - active, 5) items in priority order (the worker must not call claim) and returns inbox messages for its live sessions. 404 for an unknown worker.",  # noqa: E501
    )
    async def poll(
        self, id: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.PollResult:
        """Pre-claimed work and inbox messages."""
        return s.poll_result(await gateway.workers.poll_work(principal, worker_id=id))


ROUTES = [DaemonController, WorkersController]
