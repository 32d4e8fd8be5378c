"""Queueing work, polling it, giving it back, and reading sessions."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from switchyard.grpckit.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from switchyard.grpckit.principal import ORG_KEY, Principal
from switchyard.workers.db.models import Session
from switchyard.workers.domain import events as ev
from switchyard.workers.domain.common import ALL_PROJECTS, MAX_POLL_ITEMS
from switchyard.workers.domain.context import Deps, check_org, require_queue_writer, require_worker
from switchyard.workers.domain.ports import Presence
from switchyard.workers.domain.sessions import repository as repo
from switchyard.workers.domain.sessions.claims import enqueue, requeue
from switchyard.workers.domain.sessions.fsm import CLAIMED, PENDING
from switchyard.workers.domain.sessions.models import NewSession, SessionView

# Poll pops this many rounds at most, so a queue full of other projects' work cannot spin it.
POLL_ATTEMPTS = 4


def fits(worker: Presence, row: Session) -> bool:
    """True when the worker takes work of the session's project."""
    if worker.all_projects or not (row.project_id or row.project_name):
        return True
    return row.project_id in worker.project_ids or row.project_name in worker.project_ids


def _check_key_project(principal: Principal, new: NewSession) -> None:
    # A project-scoped org key queues work only for its own projects.
    if principal.kind != ORG_KEY or not principal.project_ids or ALL_PROJECTS in principal.project_ids:
        return
    if not new.project_id:
        raise InvalidArgument("projectId is required for a project-scoped key")
    if new.project_id not in principal.project_ids:
        raise PermissionDenied("the key does not cover this project")


class SessionService:
    """CreateSession, PollWork, NackSession, GetSessionStatus, GetQueuedSession."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def create(self, *, principal: Principal, new: NewSession) -> SessionView:
        """Queue work for an issue; it waits parked while another session works on the issue."""
        org = require_queue_writer(principal)
        work = new.validated()
        _check_key_project(principal, work)
        session_id = work.session_id or str(uuid.uuid4())
        now = self._d.clock()
        try:
            async with self._d.sessions() as s, s.begin():
                row = repo.add_session(
                    s,
                    new=work,
                    session_id=session_id,
                    org_id=org,
                    by=principal.user_id or principal.token_id,
                    now=now,
                )
                await s.flush()
                event = ev.SessionQueued(
                    session_id=session_id,
                    org_id=org,
                    issue_id=work.issue_id,
                    priority=work.priority,
                    work_type=work.work_type,
                    occurred_at=now,
                )
                await self._d.events.add(s, event)
        except IntegrityError as exc:
            raise AlreadyExists("a session with this id already exists") from exc
        await enqueue(self._d, row)
        return repo.to_view(row)

    async def poll(self, *, principal: Principal, worker_id: str) -> list[SessionView]:
        """Pre-claim up to ``min(capacity - active, 5)`` items the worker may take, best first."""
        wid = require_worker(principal, worker_id)
        worker = await self._d.fleet.get(wid)
        if worker is None:
            raise NotFound("Worker not found")
        held = await self._d.fleet.held(wid)
        room = min(worker.capacity - max(worker.active_count, len(held)), MAX_POLL_ITEMS)
        claimed: list[Session] = []
        misfits: dict[str, float] = {}
        for _ in range(POLL_ATTEMPTS):
            if room - len(claimed) <= 0:
                break
            popped = await self._d.queue.pop(worker.org_id, room - len(claimed))
            if not popped:
                break
            claimed += await self._claim_popped(worker, popped, misfits)
        if misfits:
            await self._d.queue.push(worker.org_id, misfits)
        if claimed:
            ttl = self._d.policy.worker_ttl_seconds
            await self._d.fleet.hold(wid, [row.id for row in claimed], ttl_seconds=ttl)
        claimed.sort(key=lambda row: (row.priority, row.queued_at))
        return [repo.to_view(row) for row in claimed]

    async def _claim_popped(
        self, worker: Presence, popped: list[tuple[str, float]], misfits: dict[str, float]
    ) -> list[Session]:
        scores = dict(popped)
        now = self._d.clock()
        async with self._d.sessions() as s, s.begin():
            rows = await repo.get_many(s, list(scores))
            # Ids whose row is gone or no longer pending were stopped while queued: dropped.
            pending = [r for r in rows.values() if r.status == PENDING and r.org_id == worker.org_id]
            wanted = [r.id for r in pending if fits(worker, r)]
            misfits.update({r.id: scores[r.id] for r in pending if r.id not in wanted})
            claimed = await repo.claim(s, ids=wanted, worker_id=worker.id, now=now) if wanted else []
            for row in claimed:
                event = ev.SessionClaimed(
                    session_id=row.id, org_id=row.org_id, worker_id=worker.id, occurred_at=now
                )
                await self._d.events.add(s, event)
        return claimed

    async def nack(self, *, principal: Principal, session_id: str, worker_id: str) -> bool:
        """Give a claimed session back to the queue with its original priority; False when not claimed."""
        wid = require_worker(principal, worker_id)
        now = self._d.clock()
        async with self._d.sessions() as s, s.begin():
            row = await repo.get(s, session_id, lock=True)
            if row is None:
                raise NotFound("Session not found")
            check_org(principal, row.org_id)
            if row.worker_id and row.worker_id != wid:
                raise PermissionDenied("Session is owned by another worker")
            if row.status != CLAIMED or row.worker_id != wid:
                return False
            rows = await repo.unclaim(s, worker_id=wid, ids=[row.id], now=now)
            event = ev.SessionStatusChanged(
                session_id=row.id,
                org_id=row.org_id,
                worker_id=wid,
                from_status=CLAIMED,
                to_status=PENDING,
                total_cost_usd=row.total_cost_usd,
                error_message="",
                occurred_at=now,
            )
            await self._d.events.add(s, event)
        await self._d.fleet.let_go(wid, session_id)
        await requeue(self._d, rows)
        return bool(rows)

    async def get(self, *, principal: Principal, session_id: str) -> SessionView:
        """A session of the caller's org."""
        async with self._d.reads() as s:
            row = await repo.get(s, session_id) if session_id else None
        if row is None:
            raise NotFound("Session not found")
        check_org(principal, row.org_id)
        return repo.to_view(row)

    async def get_queued(self, *, principal: Principal, session_id: str) -> SessionView:
        """Queued work for cloud runners; NOT_FOUND once claimed."""
        view = await self.get(principal=principal, session_id=session_id)
        if view.status != PENDING:
            raise NotFound("Session not found or no longer queued")
        return view
