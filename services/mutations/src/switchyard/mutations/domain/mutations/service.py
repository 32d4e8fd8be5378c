"""Mutation use cases: enqueue, list, cancel, and delivery on heartbeat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.grpckit.errors import Conflict, InvalidArgument, NotFound, Unavailable
from switchyard.grpckit.principal import Principal
from switchyard.mutations.domain import events as ev
from switchyard.mutations.domain.common import new_mutation_id
from switchyard.mutations.domain.context import Deps
from switchyard.mutations.domain.mutations import repository as repo
from switchyard.mutations.domain.mutations import rules
from switchyard.mutations.domain.mutations.models import (
    PENDING,
    Delivery,
    FailureAck,
    HostStatusView,
    MutationView,
)
from switchyard.mutations.domain.ports import MarkerUnavailable
from switchyard.obs import get_logger

log = get_logger(__name__)

ALREADY_DELIVERED = {"cancelled": False, "reason": "already_delivered"}
HOST_NOT_FOUND = "worker host not found"


class MutationService:
    """Queues daemon-config mutations and hands them to the daemon on its heartbeats."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def _emit(self, session: AsyncSession, subject: str, views: Sequence[MutationView]) -> None:
        now = self._d.clock()
        for view in views:
            await self._d.events.add(
                session, ev.MutationChanged(subject=subject, mutation=view, occurred_at=now)
            )

    async def _mark(self, host: str) -> None:
        try:
            await self._d.markers.mark(host)
        except MarkerUnavailable:
            # The heartbeat re-marks a host it finds open rows for, and the repair loop re-derives markers.
            log.warning("pending marker not set", worker_host_id=host)

    async def enqueue(
        self, *, principal: Principal, worker_host_id: str, op: str, params: Mapping[str, Any]
    ) -> MutationView:
        """Queue a mutation for a host of the caller's org (org admin/owner, or a ``*`` key)."""
        actor = rules.admin_actor(principal)
        rules.validate_mutation(worker_host_id=worker_host_id, op=op, params=params)
        if await self._d.hosts.org_of(worker_host_id) != actor.org_id:
            raise NotFound(HOST_NOT_FOUND)
        view = MutationView(
            id=new_mutation_id(),
            org_id=actor.org_id,
            worker_host_id=worker_host_id,
            op=op,
            params=dict(params),
            status=PENDING,
            requested_by=actor.requested_by,
            created_at=self._d.clock(),
        )
        # Marked before the commit so a crash after it still leaves the host flagged, and again after
        # it because a heartbeat racing the commit may have cleared the first mark.
        await self._mark(worker_host_id)
        async with self._d.sessions() as session, session.begin():
            await repo.insert(session, view)
            await self._emit(session, ev.ENQUEUED, [view])
        await self._mark(worker_host_id)
        await self._track([(worker_host_id, view.id)])
        return view

    async def _track(self, opened: Sequence[tuple[str, str]]) -> bool:
        try:
            await self._d.hosts.track_open(opened)
        except Unavailable:
            # workers also learns it from the enqueued event, and the repair loop repeats it.
            log.warning("open mutations not reported to workers", count=len(opened))
            return False
        return True

    async def list_for_host(
        self, *, principal: Principal, worker_host_id: str, limit: int
    ) -> list[MutationView]:
        """A host's mutations, newest first; the host must belong to the caller's org."""
        org = rules.reader_org(principal)
        if not worker_host_id.strip():
            raise InvalidArgument("workerHostId is required")
        page = rules.list_limit(limit)
        async with self._d.reads() as session:
            views = await repo.list_for_host(session, org_id=org, worker_host_id=worker_host_id, limit=page)
        # Rows are only ever written for hosts of their org, so only an empty page needs the directory.
        if not views and await self._d.hosts.org_of(worker_host_id) != org:
            raise NotFound(HOST_NOT_FOUND)
        return views

    async def cancel(self, *, principal: Principal, mutation_id: str) -> MutationView:
        """Cancel a pending mutation; 409 once delivered or terminal, 404 when missing or another org's."""
        actor = rules.admin_actor(principal)
        if not mutation_id:
            raise NotFound("mutation not found")
        async with self._d.sessions() as session, session.begin():
            view = await repo.cancel_pending(
                session, org_id=actor.org_id, mutation_id=mutation_id, now=self._d.clock()
            )
            if view is not None:
                await self._emit(session, ev.CANCELLED, [view])
                return view
            status = await repo.status_of(session, org_id=actor.org_id, mutation_id=mutation_id)
        if status is None:
            raise NotFound("mutation not found")
        raise Conflict("mutation already delivered", fields=ALREADY_DELIVERED)

    async def deliver(
        self,
        *,
        principal: Principal,
        worker_host_id: str,
        applied_ids: Sequence[str],
        failures: Sequence[FailureAck],
    ) -> Delivery:
        """Record the beat's ACKs and return every delivered, unacknowledged mutation of the host.

        A beat with no ACKs whose host has no marker returns at once without touching PostgreSQL.
        """
        org = rules.heartbeat_scope(principal, worker_host_id)
        acked = bool(applied_ids or failures)
        try:
            token = await self._d.markers.peek(worker_host_id)
            marker_known = True
        except MarkerUnavailable:
            token, marker_known = None, False
        if token is None and marker_known and not acked:
            return Delivery()
        pending = await self._exchange(worker_host_id, org, applied_ids, failures)
        await self._sync_marker(
            worker_host_id, token=token, marker_known=marker_known, open_rows=bool(pending)
        )
        return Delivery(pending=tuple(pending), host_status=_host_status(pending), consulted_database=True)

    async def _exchange(
        self, host: str, org: str, applied_ids: Sequence[str], failures: Sequence[FailureAck]
    ) -> list[MutationView]:
        now = self._d.clock()
        async with self._d.sessions() as session, session.begin():
            applied = await repo.mark_applied(
                session, worker_host_id=host, org_id=org, ids=applied_ids, now=now
            )
            failed: list[MutationView] = []
            for failure in failures:
                row = await repo.mark_failed(
                    session,
                    worker_host_id=host,
                    org_id=org,
                    mutation_id=failure.id,
                    error=rules.failure_text(failure.error),
                    now=now,
                )
                failed += [row] if row else []
            delivered = await repo.deliver_pending(session, worker_host_id=host, org_id=org, now=now)
            await self._emit(session, ev.APPLIED, applied)
            await self._emit(session, ev.FAILED, failed)
            await self._emit(session, ev.DELIVERED, delivered)
            return await repo.unacknowledged(session, worker_host_id=host, org_id=org)

    async def _sync_marker(
        self, host: str, *, token: str | None, marker_known: bool, open_rows: bool
    ) -> None:
        try:
            if open_rows and token is None:
                await self._d.markers.mark(host)
            elif not open_rows and token is not None:
                await self._d.markers.clear(host, token)
        except MarkerUnavailable:
            log.warning("pending marker not updated", worker_host_id=host, marker_known=marker_known)

    async def repair_markers(self) -> int:
        """Flag every host with open rows that lost its marker (Redis restart, crash mid-enqueue), and
        report every open mutation to workers again (its heartbeat projection may have lost them too)."""
        async with self._d.reads() as session:
            opened = await repo.open_mutations(session)
        added = 0
        for host in dict.fromkeys(host for host, _ in opened):
            added += int(await self._d.markers.ensure(host))
        if opened:
            await self._track(opened)
        return added


def _host_status(pending: Sequence[MutationView]) -> HostStatusView | None:
    # The newest pool.deleted still awaiting its ACK decides; once ACKed the daemon has moved on.
    for view in reversed(pending):
        found = rules.host_status_from(view.op, view.params)
        if found:
            return HostStatusView(status=found[0], candidate_pool_ids=found[1])
    return None
