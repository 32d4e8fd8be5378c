"""Registration, runtime tokens, heartbeats and deregistration of workers."""

from __future__ import annotations

from datetime import timedelta

from switchyard.grpckit.errors import NotFound, PermissionDenied
from switchyard.grpckit.principal import ORG_KEY, WORKER, Principal
from switchyard.signing import to_jwk
from switchyard.workers.domain import events as ev
from switchyard.workers.domain.common import narrow_projects, optional, worker_status
from switchyard.workers.domain.context import (
    Deps,
    check_org,
    require_registrar,
    require_service,
    require_worker,
)
from switchyard.workers.domain.fleet import repository as repo
from switchyard.workers.domain.fleet.models import (
    BeatResult,
    Credentials,
    Jwks,
    WorkerView,
    new_worker_id,
)
from switchyard.workers.domain.fleet.requests import Heartbeat, Registration, bounded
from switchyard.workers.domain.ports import Beat, Presence
from switchyard.workers.domain.sessions.claims import release_claims
from switchyard.workers.domain.tokens.issuer import AUDIENCE, ISSUER
from switchyard.workers.domain.tokens.repository import load_keys


class FleetService:
    """RegisterWorker, RefreshRuntimeToken, Heartbeat, DeregisterWorker, GetWorker, GetJwks."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def register(self, *, principal: Principal, registration: Registration) -> Credentials:
        """Register a host for the key's org and issue its first runtime JWT."""
        org = require_registrar(principal)
        reg = registration.validated()
        all_projects, projects = narrow_projects(reg.project_ids, principal.project_ids)
        worker = Presence(
            id=new_worker_id(),
            org_id=org,
            hostname=reg.hostname,
            capacity=reg.capacity,
            version=reg.version,
            machine_id=reg.machine_id,
            region=reg.region,
            capabilities=tuple(reg.capabilities),
            all_projects=all_projects,
            project_ids=projects,
            key_project_ids=principal.project_ids or ("*",),
            status=reg.status,
            active_count=reg.active_count,
            registration_key_id=principal.token_id,
            registered_at=self._d.clock(),
            last_heartbeat_at=None,
        )
        async with self._d.sessions() as s, s.begin():
            repo.add_worker(s, worker)
            event = ev.WorkerRegistered(
                worker_id=worker.id,
                org_id=org,
                hostname=worker.hostname,
                registration_key_id=worker.registration_key_id,
                occurred_at=worker.registered_at,
            )
            await self._d.events.add(s, event)
        await self._d.fleet.put(worker, ttl_seconds=self._d.policy.worker_ttl_seconds)
        return self._credentials(worker)

    async def refresh(self, *, principal: Principal, worker_id: str) -> Credentials:
        """A new runtime JWT for the same worker; the worker itself or a registration key of its org."""
        worker = await self._live(worker_id)
        if principal.kind == WORKER:
            require_worker(principal, worker_id)
        elif principal.kind == ORG_KEY:
            require_registrar(principal)
        else:
            raise PermissionDenied("a worker runtime token or a registration token is required")
        check_org(principal, worker.org_id, what="Worker")
        return self._credentials(worker)

    async def heartbeat(self, *, principal: Principal, beat: Heartbeat) -> BeatResult:
        """Renew the worker's presence (Redis only: no PostgreSQL on this path)."""
        worker_id = require_worker(principal, beat.worker_id)
        now = self._d.clock()
        update = Beat(
            at=now,
            status=worker_status(beat.status, default="") if beat.status else "",
            active_count=max(beat.active_count, 0),
            max_sessions=max(beat.max_sessions, 0),
            hostname=optional(beat.hostname, field="hostname", max_len=255),
            region=optional(beat.region, field="region", max_len=100),
            version=optional(beat.version, field="version", max_len=100),
            capabilities=tuple(bounded(beat.capabilities, field="capabilities")),
            allowlist_hash=optional(beat.allowlist_hash, field="allowlistHash", max_len=200),
            project_admission_mode=optional(beat.project_admission_mode, field="projectAdmissionMode"),
            load_cpu=beat.load_cpu,
            load_memory=beat.load_memory,
            projects=self._beat_projects(principal, beat.enabled_project_ids),
        )
        outcome = await self._d.fleet.beat(worker_id, update, ttl_seconds=self._d.policy.worker_ttl_seconds)
        if outcome is None:
            raise NotFound("Worker not found")
        return BeatResult(
            server_time=now,
            pending_work_count=outcome.pending_work_count,
            mutations_pending=outcome.mutations_pending,
        )

    @staticmethod
    def _beat_projects(principal: Principal, enabled: list[str]) -> tuple[bool, tuple[str, ...]] | None:
        # The daemon sends its project list only when its allowlist hash changed; absent = unchanged.
        if not enabled:
            return None
        return narrow_projects(bounded(enabled, field="enabledProjectIds"), principal.project_ids)

    async def deregister(self, *, principal: Principal, worker_id: str) -> tuple[str, ...]:
        """Remove a worker; sessions it claimed but never started go back to the queue."""
        worker = await self._live(worker_id)
        if principal.kind == WORKER:
            require_worker(principal, worker_id)
        else:
            require_registrar(principal)
        check_org(principal, worker.org_id, what="Worker")
        unclaimed = await release_claims(self._d, worker_id=worker.id, org_id=worker.org_id)
        now = self._d.clock()
        async with self._d.sessions() as s, s.begin():
            await repo.mark_deregistered(s, worker_id=worker.id, now=now)
            event = ev.WorkerDeregistered(
                worker_id=worker.id, org_id=worker.org_id, unclaimed_session_ids=unclaimed, occurred_at=now
            )
            await self._d.events.add(s, event)
        await self._d.fleet.delete(worker.id)
        return unclaimed

    async def get_worker(self, *, principal: Principal, worker_id: str) -> WorkerView:
        """A live worker with its staleness; services only (mutations checks the org itself)."""
        require_service(principal)
        worker = await self._live(worker_id)
        seen = worker.last_heartbeat_at or worker.registered_at
        stale = self._d.clock() - seen > timedelta(seconds=self._d.policy.stale_after_seconds)
        return WorkerView(presence=worker, stale=stale)

    async def jwks(self, *, principal: Principal) -> Jwks:
        """Every key that may have signed a live runtime JWT (read from the database, so every
        replica publishes the keys of the others); services only."""
        require_service(principal)
        async with self._d.reads() as s:
            pairs = await load_keys(s, kek=self._d.kek)
        return Jwks(keys=[to_jwk(k) for k in pairs], issuer=ISSUER, audience=AUDIENCE)

    async def _live(self, worker_id: str) -> Presence:
        worker = await self._d.fleet.get(worker_id) if worker_id else None
        if worker is None:
            raise NotFound("Worker not found")
        return worker

    def _credentials(self, worker: Presence) -> Credentials:
        token = self._d.tokens.issue(
            worker_id=worker.id,
            org_id=worker.org_id,
            project_ids=worker.key_project_ids,
            registration_key_id=worker.registration_key_id,
        )
        return Credentials(
            worker_id=worker.id,
            runtime_token=token.token,
            expires_at=token.expires_at,
            heartbeat_interval_ms=self._d.policy.heartbeat_interval_ms,
            poll_interval_ms=self._d.policy.poll_interval_ms,
        )
