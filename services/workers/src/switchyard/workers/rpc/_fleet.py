"""Worker RPCs: pb <-> domain only."""

from __future__ import annotations

from switchyard.grpckit.principal import get_principal
from switchyard.workers.domain.fleet.requests import Heartbeat, Registration
from switchyard.workers.domain.ports import MutationMark
from switchyard.workers.rpc import _mapping as m
from switchyard.workers.rpc._base import Context, ServicerBase, ts
from switchyard.workers.v1 import workers_pb2 as pb
from switchyard.workers.v1 import workers_service_pb2 as svc


class FleetRpc(ServicerBase):
    """Registration, tokens, heartbeats, deregistration, worker lookup, JWKS."""

    async def GetJwks(self, request: svc.GetJwksRequest, context: Context) -> svc.GetJwksResponse:
        """The public keys of runtime JWTs."""
        jwks = await self._s.fleet.jwks(principal=get_principal())
        return svc.GetJwksResponse(
            keys=[pb.Jwk(**k) for k in jwks.keys], issuer=jwks.issuer, audience=jwks.audience
        )

    async def RegisterWorker(
        self, request: svc.RegisterWorkerRequest, context: Context
    ) -> svc.RegisterWorkerResponse:
        """Register a daemon host."""
        registration = Registration(
            hostname=request.hostname,
            capacity=request.capacity,
            version=request.version,
            machine_id=request.machine_id,
            region=request.region,
            capabilities=list(request.capabilities),
            project_ids=list(request.project_ids),
            status=request.status,
            active_count=request.active_count,
        )
        creds = await self._s.fleet.register(principal=get_principal(), registration=registration)
        return svc.RegisterWorkerResponse(**m.credentials_fields(creds))  # type: ignore[arg-type]

    async def RefreshRuntimeToken(
        self, request: svc.RefreshRuntimeTokenRequest, context: Context
    ) -> svc.RefreshRuntimeTokenResponse:
        """A new runtime JWT for the same worker."""
        creds = await self._s.fleet.refresh(principal=get_principal(), worker_id=request.worker_id)
        return svc.RefreshRuntimeTokenResponse(**m.credentials_fields(creds))  # type: ignore[arg-type]

    async def Heartbeat(self, request: svc.HeartbeatRequest, context: Context) -> svc.HeartbeatResponse:
        """Renew the worker's presence."""
        beat = Heartbeat(
            worker_id=request.worker_id,
            status=request.status,
            active_count=request.active_count,
            max_sessions=request.max_sessions,
            load_cpu=request.load.cpu if request.HasField("load") else None,
            load_memory=request.load.memory if request.HasField("load") else None,
            allowlist_hash=request.allowlist_hash,
            enabled_project_ids=list(request.enabled_project_ids),
            project_admission_mode=request.project_admission_mode,
            hostname=request.hostname,
            region=request.region,
            version=request.version,
            capabilities=list(request.capabilities),
        )
        result = await self._s.fleet.heartbeat(principal=get_principal(), beat=beat)
        return svc.HeartbeatResponse(
            acknowledged=True,
            server_time=ts(result.server_time),
            pending_work_count=result.pending_work_count,
            mutations_pending=result.mutations_pending,
        )

    async def DeregisterWorker(
        self, request: svc.DeregisterWorkerRequest, context: Context
    ) -> svc.DeregisterWorkerResponse:
        """Remove a worker."""
        unclaimed = await self._s.fleet.deregister(principal=get_principal(), worker_id=request.worker_id)
        return svc.DeregisterWorkerResponse(deregistered=True, unclaimed_session_ids=list(unclaimed))

    async def GetWorker(self, request: svc.GetWorkerRequest, context: Context) -> svc.GetWorkerResponse:
        """A live worker."""
        view = await self._s.fleet.get_worker(principal=get_principal(), worker_id=request.worker_id)
        return svc.GetWorkerResponse(worker=m.worker(view))

    async def TrackMutations(
        self, request: svc.TrackMutationsRequest, context: Context
    ) -> svc.TrackMutationsResponse:
        """Record open or closed mutations of worker hosts."""
        marks = [
            MutationMark(worker_id=t.worker_id, mutation_id=t.mutation_id, open=t.open)
            for t in request.mutations
        ]
        tracked = await self._s.mutation_tracking.track(principal=get_principal(), marks=marks)
        return svc.TrackMutationsResponse(tracked=tracked)
