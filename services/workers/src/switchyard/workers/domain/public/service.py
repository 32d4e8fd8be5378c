"""Reading the public sessions API: stats, session pages and detail, activity feeds, phase metrics."""

from __future__ import annotations

from datetime import datetime, timedelta

from switchyard.grpckit.errors import InvalidArgument
from switchyard.grpckit.principal import Principal
from switchyard.workers.domain.common import optional
from switchyard.workers.domain.context import Deps
from switchyard.workers.domain.public import queries as q
from switchyard.workers.domain.public.access import find_feed_session, find_session, reader_scope
from switchyard.workers.domain.public.models import (
    ActivityPage,
    ActivityView,
    PhaseMetric,
    PublicSessionView,
    SessionPage,
    Stats,
    bounded_limit,
    decode_cursor,
    encode_cursor,
    from_micros,
    public_status,
    status_filter,
    to_micros,
    to_public,
)

DEFAULT_SESSIONS, MAX_SESSIONS = 50, 100
DEFAULT_ACTIVITIES, MAX_ACTIVITIES = 100, 200
DEFAULT_METRICS_WINDOW = timedelta(days=30)


def _start_of_day(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _session_position(cursor: str) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    micros, session_id = decode_cursor(cursor, count=2)
    if not micros.isdigit() or not session_id:
        raise InvalidArgument("cursor is invalid")
    return from_micros(int(micros)), session_id


def _activity_position(cursor: str) -> int:
    if not cursor:
        return 0
    (position,) = decode_cursor(cursor, count=1)
    if not position.isdigit():
        raise InvalidArgument("cursor is invalid")
    return int(position)


def _activity_type(kind: str, type_: str) -> str:
    # Agent activities keep their own type; every other record (progress, prompt, stop, ...) is its kind.
    return type_ if kind == "activity" else kind


class PublicReadService:
    """GetPublicStats, ListPublicSessions, GetPublicSession, ListSessionActivities, GetPhaseMetrics."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    def now(self) -> datetime:
        """The service's time, stamped on every answer."""
        return self._d.clock()

    async def stats(self, *, principal: Principal) -> Stats:
        """Live fleet figures from Redis, session figures from PostgreSQL ("today" = since 00:00 UTC)."""
        scope = reader_scope(principal)
        now = self._d.clock()
        loads = await self._d.fleet.live(scope.org_id, now=now)
        depth = await self._d.queue.depth(scope.org_id)
        async with self._d.reads() as s:
            totals = await q.totals(s, scope=scope, today=_start_of_day(now))
        # The same free-room rule poll applies: what a worker runs or holds, whichever is more.
        free = sum(max(w.capacity - max(w.active_count, w.held), 0) for w in loads)
        return Stats(
            workers_online=len(loads),
            agents_working=totals.working,
            queue_depth=depth,
            completed_today=totals.completed_today,
            available_capacity=free,
            total_cost_today=totals.cost_today,
            total_cost_all_time=totals.cost_all_time,
            session_count_today=totals.count_today,
            server_time=now,
        )

    async def list_sessions(
        self,
        *,
        principal: Principal,
        project_id: str,
        project_name: str,
        status: str,
        limit: int | None,
        cursor: str,
    ) -> SessionPage:
        """One page of the org's sessions, newest first."""
        scope = reader_scope(principal)
        query = q.SessionQuery(
            project_id=optional(project_id, field="projectId", max_len=255),
            project_name=optional(project_name, field="project", max_len=255),
            statuses=status_filter(status),
            limit=bounded_limit(limit, default=DEFAULT_SESSIONS, maximum=MAX_SESSIONS),
            after=_session_position(cursor),
        )
        async with self._d.reads() as s:
            rows = await q.session_page(s, scope=scope, query=query)
        now = self._d.clock()
        page = rows[: query.limit]
        more = len(rows) > query.limit
        last = page[-1] if page else None
        next_cursor = encode_cursor(str(to_micros(last.created_at)), last.id) if more and last else ""
        return SessionPage(sessions=[to_public(r, now=now) for r in page], next_cursor=next_cursor)

    async def get(self, *, principal: Principal, ref: str) -> PublicSessionView:
        """One session of the org by raw id or either hash."""
        scope = reader_scope(principal)
        async with self._d.reads() as s:
            row = await find_session(s, scope=scope, ref=ref)
        return to_public(row, now=self._d.clock())

    async def activities(
        self, *, principal: Principal, ref: str, cursor: str, limit: int | None, session_hash: str = ""
    ) -> ActivityPage:
        """Activities after the cursor, oldest first; an empty page hands the same cursor back.

        Three kinds of caller (reference §3): an org member or org key (raw id or either hash), a worker of
        the org (raw id), or an anonymous caller holding the raw id and either hash of the session.
        """
        after = _activity_position(cursor)
        size = bounded_limit(limit, default=DEFAULT_ACTIVITIES, maximum=MAX_ACTIVITIES)
        async with self._d.reads() as s:
            row = await find_feed_session(s, principal=principal, ref=ref, session_hash=session_hash)
            rows = await q.activity_page(s, session_id=row.id, after=after, limit=size)
        views = [ActivityView(a.id, _activity_type(a.kind, a.type), a.content, a.created_at) for a in rows]
        next_cursor = encode_cursor(str(views[-1].id)) if views else cursor
        return ActivityPage(activities=views, cursor=next_cursor, session_status=public_status(row.status))

    async def phase_metrics(
        self, *, principal: Principal, since: datetime | None, until: datetime | None, project_id: str
    ) -> list[PhaseMetric]:
        """Per-phase aggregates of the sessions created in ``[since, until)`` (default: the last 30 days)."""
        scope = reader_scope(principal)
        end = until or self._d.clock()
        start = since or end - DEFAULT_METRICS_WINDOW
        if start >= end:
            raise InvalidArgument("from must be before to")
        project = optional(project_id, field="projectId", max_len=255)
        async with self._d.reads() as s:
            return await q.phase_metrics(s, scope=scope, since=start, until=end, project_id=project)
