"""The PostgreSQL side of the public API: pages, today's aggregates and per-phase metrics, all in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.workers.db.models import Activity, Session
from switchyard.workers.domain.public.access import Scope
from switchyard.workers.domain.public.models import PhaseMetric
from switchyard.workers.domain.sessions import fsm

WORKING = (fsm.CLAIMED, fsm.RUNNING, fsm.FINALIZING)


@dataclass(frozen=True, slots=True)
class Totals:
    """Today's (and all-time) session figures of a scope."""

    working: int
    completed_today: int
    cost_today: float
    cost_all_time: float
    count_today: int


@dataclass(frozen=True, slots=True)
class SessionQuery:
    """Filters and position of one page of sessions."""

    project_id: str
    project_name: str
    statuses: tuple[str, ...]
    limit: int
    # (created_at, id) of the last row of the previous page.
    after: tuple[datetime, str] | None


async def totals(s: AsyncSession, *, scope: Scope, today: datetime) -> Totals:
    """One aggregate pass over the scope's sessions."""
    row = (
        await s.execute(
            select(
                func.count().filter(Session.status.in_(WORKING)),
                func.count().filter(Session.status == fsm.COMPLETED, Session.finished_at >= today),
                func.coalesce(func.sum(Session.total_cost_usd).filter(Session.created_at >= today), 0.0),
                func.coalesce(func.sum(Session.total_cost_usd), 0.0),
                func.count().filter(Session.created_at >= today),
            ).where(*scope.where())
        )
    ).one()
    return Totals(int(row[0]), int(row[1]), float(row[2]), float(row[3]), int(row[4]))


async def session_page(s: AsyncSession, *, scope: Scope, query: SessionQuery) -> list[Session]:
    """Up to ``limit + 1`` sessions newest first after the keyset position (the extra one says "more")."""
    conditions = scope.where()
    if query.project_id:
        conditions.append(Session.project_id == query.project_id)
    if query.project_name:
        conditions.append(Session.project_name == query.project_name)
    if query.statuses:
        conditions.append(Session.status.in_(query.statuses))
    if query.after is not None:
        conditions.append(tuple_(Session.created_at, Session.id) < tuple_(*query.after))
    rows = await s.scalars(
        select(Session)
        .where(*conditions)
        .order_by(Session.created_at.desc(), Session.id.desc())
        .limit(query.limit + 1)
    )
    return list(rows)


async def activity_page(s: AsyncSession, *, session_id: str, after: int, limit: int) -> list[Activity]:
    """A session's activities after row ``after``, oldest first."""
    rows = await s.scalars(
        select(Activity)
        .where(Activity.session_id == session_id, Activity.id > after)
        .order_by(Activity.id)
        .limit(limit)
    )
    return list(rows)


def _ranked(scope: Scope) -> Any:
    # Numbered over all the org's sessions, so a rework whose first attempt predates the window counts.
    nth = func.row_number().over(
        partition_by=(Session.issue_id, Session.work_type), order_by=(Session.created_at, Session.id)
    )
    return (
        select(
            Session.work_type,
            Session.status,
            Session.project_id,
            Session.total_cost_usd,
            Session.queued_at,
            Session.finished_at,
            Session.created_at,
            Session.reset_count,
            nth.label("nth"),
        )
        .where(Session.org_id == scope.org_id)
        .subquery()
    )


async def phase_metrics(
    s: AsyncSession, *, scope: Scope, since: datetime, until: datetime, project_id: str
) -> list[PhaseMetric]:
    """Per work type: outcomes, cycle-time average and percentiles, cost and rework."""
    r = _ranked(scope)
    ended = and_(r.c.status.in_(tuple(fsm.TERMINAL)), r.c.finished_at.is_not(None))
    cycle = case((ended, func.extract("epoch", r.c.finished_at - r.c.queued_at) * 1000))
    cycle_ms = cast(cycle, Float)
    conditions = [r.c.created_at >= since, r.c.created_at < until]
    if project_id:
        conditions.append(r.c.project_id == project_id)
    if scope.projects is not None:
        conditions.append(r.c.project_id.in_(scope.projects))
    rework = func.count().filter(r.c.nth > 1) + func.coalesce(func.sum(r.c.reset_count), 0)
    query = (
        select(
            r.c.work_type,
            func.count(),
            func.count().filter(r.c.status == fsm.COMPLETED),
            func.count().filter(r.c.status == fsm.FAILED),
            func.count().filter(r.c.status == fsm.STOPPED),
            func.coalesce(func.avg(cycle_ms), 0.0),
            func.coalesce(func.percentile_cont(0.5).within_group(cycle_ms), 0.0),
            func.coalesce(func.percentile_cont(0.9).within_group(cycle_ms), 0.0),
            func.coalesce(func.sum(r.c.total_cost_usd), 0.0),
            func.coalesce(func.avg(r.c.total_cost_usd), 0.0),
            rework,
        )
        .where(*conditions)
        .group_by(r.c.work_type)
        .order_by(r.c.work_type)
    )
    return [_metric(row) for row in await s.execute(query)]


def _metric(row: Any) -> PhaseMetric:
    sessions, rework = int(row[1]), int(row[10])
    return PhaseMetric(
        work_type=row[0],
        sessions=sessions,
        completed=int(row[2]),
        failed=int(row[3]),
        stopped=int(row[4]),
        cycle_time_avg_ms=float(row[5]),
        cycle_time_p50_ms=float(row[6]),
        cycle_time_p90_ms=float(row[7]),
        cost_total_usd=float(row[8]),
        cost_avg_usd=float(row[9]),
        rework_count=rework,
        rework_rate=rework / sessions if sessions else 0.0,
    )
