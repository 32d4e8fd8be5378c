"""The analytics queries: event lists, top names, strict funnels and retention, computed in SQL.

The SQL is assembled from fixed fragments only (column filters, a validated period unit); every value is a
bound parameter, hence the S608 waivers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from switchyard.grpckit.principal import Principal
from switchyard.ingest.db.models import AnalyticsEvent
from switchyard.ingest.domain.access import reader_org
from switchyard.ingest.domain.analytics import params
from switchyard.ingest.domain.context import Deps

TOP_N = 20
_DAY = timedelta(days=1)
_UNIT_DAYS = {"day": 1, "week": 7}


@dataclass(frozen=True, slots=True)
class Filter:
    """The rows a query reads: one org, optionally one app and one event name."""

    org: str
    app: str = ""

    def where(self, alias: str = "") -> str:
        """SQL conditions on ``org_id`` (and ``app_id``) for the bound ``:org`` (and ``:app``)."""
        prefix = f"{alias}." if alias else ""
        clause = f"{prefix}org_id = :org"
        return clause + (f" AND {prefix}app_id = :app" if self.app else "")

    def binds(self) -> dict[str, Any]:
        """The bound values of ``where``."""
        return {"org": self.org, "app": self.app} if self.app else {"org": self.org}


def _names(**names: str) -> dict[str, str]:
    # Only the names a query filters on are bound (an empty one adds no clause).
    return {k: v for k, v in names.items() if v}


def _event_clause(name: str, bind: str, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return f" AND {prefix}event = :{bind}" if name else ""


@dataclass(frozen=True, slots=True)
class Cohort:
    """One retention cohort: its period start, size and retained counts (period 0 first)."""

    start: datetime
    size: int
    retained: list[int]


@dataclass(frozen=True, slots=True)
class Summary:
    """D1/D7/D30: distinct ids that came back exactly 1, 7 and 30 UTC days after their first event."""

    cohort_size: int
    d1: int
    d7: int
    d30: int


def _period_start(moment: datetime, unit: str) -> datetime:
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def _shift(start: datetime, unit: str, count: int) -> datetime:
    if unit in _UNIT_DAYS:
        return start + timedelta(days=_UNIT_DAYS[unit] * count)
    months = start.month - 1 + count
    return start.replace(year=start.year + months // 12, month=months % 12 + 1)


def _period_index(unit: str) -> str:
    # How many periods after its cohort an activity period lies (both are date_trunc'd UTC timestamps).
    if unit == "month":
        return (
            "((extract(year FROM a.p) - extract(year FROM f.cohort)) * 12"
            " + extract(month FROM a.p) - extract(month FROM f.cohort))::int"
        )
    return f"((a.p::date - f.cohort::date) / {_UNIT_DAYS[unit]})"


class AnalyticsService:
    """Read-side use cases over ``analytics_events``."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def _rows(self, sql: str, binds: dict[str, Any]) -> list[Any]:
        async with self._deps.reads() as session:
            return list(await session.execute(text(sql), binds))

    async def list_events(
        self,
        *,
        principal: Principal,
        event: str,
        app_id: str,
        start: datetime | None,
        end: datetime | None,
        limit: int,
    ) -> list[AnalyticsEvent]:
        """The org's events in ``[start, end)``, newest first."""
        org = reader_org(principal)
        name, app, size = params.event_name(event, "name"), params.app(app_id), params.limit(limit)
        query = select(AnalyticsEvent).where(AnalyticsEvent.org_id == org)
        if name:
            query = query.where(AnalyticsEvent.event == name)
        if app:
            query = query.where(AnalyticsEvent.app_id == app)
        if start is not None:
            query = query.where(AnalyticsEvent.ts >= start)
        if end is not None:
            query = query.where(AnalyticsEvent.ts < end)
        if start is not None and end is not None and start >= end:
            raise params.bad("from", "must be before to")
        query = query.order_by(AnalyticsEvent.ts.desc(), AnalyticsEvent.id.desc()).limit(size)
        async with self._deps.reads() as session:
            return list(await session.scalars(query))

    async def top(
        self, *, principal: Principal, app_id: str, start: datetime | None, end: datetime | None
    ) -> list[tuple[str, int, int]]:
        """The 20 most frequent names of the window (default: the last 7 days).

        Returns:
            (name, count, distinct ids) tuples, most frequent first.
        """
        scope = Filter(reader_org(principal), params.app(app_id))
        begin, stop = params.window(start, end, now=self._deps.clock(), default=7 * _DAY)
        rows = await self._rows(
            f"SELECT event, count(*), count(DISTINCT distinct_id) FROM ingest.analytics_events"  # noqa: S608
            f" WHERE {scope.where()} AND ts >= :begin AND ts < :stop"
            f" GROUP BY event ORDER BY count(*) DESC, event LIMIT {TOP_N}",
            {**scope.binds(), "begin": begin, "stop": stop},
        )
        return [(r[0], int(r[1]), int(r[2])) for r in rows]

    async def funnel(
        self,
        *,
        principal: Principal,
        steps: list[str],
        app_id: str,
        start: datetime | None,
        end: datetime | None,
        window_hours: int,
    ) -> list[tuple[str, int]]:
        """How many distinct ids reached each step, in strict order (each step the very next event)."""
        scope = Filter(reader_org(principal), params.app(app_id))
        names, hours = params.steps(steps), params.window_hours(window_hours)
        begin, stop = params.window(start, end, now=self._deps.clock(), default=30 * _DAY)
        rows = await self._rows(
            "WITH RECURSIVE ev AS ("  # noqa: S608
            " SELECT distinct_id, event, ts,"
            " row_number() OVER (PARTITION BY distinct_id ORDER BY ts, id) AS rn"
            f" FROM ingest.analytics_events WHERE {scope.where()} AND ts >= :begin AND ts < :stop"
            "), chain AS ("
            " SELECT distinct_id, rn, ts AS t0, 1 AS step FROM ev WHERE event = :first"
            " UNION ALL"
            " SELECT c.distinct_id, e.rn, c.t0, c.step + 1 FROM chain c"
            " JOIN ev e ON e.distinct_id = c.distinct_id AND e.rn = c.rn + 1"
            " WHERE c.step < :n AND e.event = (CAST(:steps AS text[]))[c.step + 1]"
            " AND e.ts <= c.t0 + make_interval(hours => CAST(:hours AS int))"
            ") SELECT step, count(*) FROM"
            " (SELECT distinct_id, max(step) AS step FROM chain GROUP BY distinct_id) reached GROUP BY step",
            {
                **scope.binds(),
                "begin": begin,
                "stop": stop,
                "first": names[0],
                "n": len(names),
                "steps": names,
                "hours": hours,
            },
        )
        furthest = {int(r[0]): int(r[1]) for r in rows}
        return [
            (name, sum(c for s, c in furthest.items() if s >= k)) for k, name in enumerate(names, start=1)
        ]

    async def retention(
        self,
        *,
        principal: Principal,
        period: str,
        periods: int,
        start_event: str,
        return_event: str,
        app_id: str,
        start: datetime | None,
    ) -> list[Cohort]:
        """Cohorts by the period of each distinct id's first start event, and who came back in each period."""
        scope = Filter(reader_org(principal), params.app(app_id))
        unit, count = params.period(period), params.periods(periods)
        first_event = params.event_name(start_event, "startEvent")
        back_event = params.event_name(return_event, "returnEvent")
        origin = _period_start(
            start or _shift(_period_start(self._deps.clock(), unit), unit, 1 - count), unit
        )
        cohorts_end, activity_end = _shift(origin, unit, count), _shift(origin, unit, 2 * count)
        rows = await self._rows(
            "WITH firsts AS ("  # noqa: S608
            f" SELECT distinct_id, date_trunc('{unit}', min(ts) AT TIME ZONE 'UTC') AS cohort"
            f" FROM ingest.analytics_events WHERE {scope.where()} AND ts >= :origin AND ts < :cohorts_end"
            f"{_event_clause(first_event, 'first_event')} GROUP BY distinct_id"
            "), acts AS ("
            f" SELECT DISTINCT distinct_id, date_trunc('{unit}', ts AT TIME ZONE 'UTC') AS p"
            f" FROM ingest.analytics_events WHERE {scope.where()} AND ts >= :origin AND ts < :activity_end"
            f"{_event_clause(back_event, 'back_event')}"
            ") SELECT cohort, -1, count(*) FROM firsts f GROUP BY cohort"
            f" UNION ALL SELECT f.cohort, {_period_index(unit)} AS k, count(*)"
            " FROM firsts f JOIN acts a ON a.distinct_id = f.distinct_id AND a.p >= f.cohort GROUP BY 1, 2",
            {
                **scope.binds(),
                **_names(first_event=first_event, back_event=back_event),
                "origin": origin,
                "cohorts_end": cohorts_end,
                "activity_end": activity_end,
            },
        )
        return _cohorts(rows, origin=origin, unit=unit, count=count)

    async def summary(
        self,
        *,
        principal: Principal,
        start_event: str,
        return_event: str,
        app_id: str,
        start: datetime | None,
        end: datetime | None,
    ) -> Summary:
        """D1/D7/D30 of the distinct ids whose first start event lies in the window (default: 30 days)."""
        scope = Filter(reader_org(principal), params.app(app_id))
        first_event = params.event_name(start_event, "startEvent")
        back_event = params.event_name(return_event, "returnEvent")
        begin, stop = params.window(start, end, now=self._deps.clock(), default=30 * _DAY)
        rows = await self._rows(
            "WITH firsts AS ("  # noqa: S608
            f" SELECT distinct_id, min(ts) AS t0 FROM ingest.analytics_events"
            f" WHERE {scope.where()} AND ts >= :begin AND ts < :stop"
            f"{_event_clause(first_event, 'first_event')}"
            " GROUP BY distinct_id"
            "), days AS ("
            " SELECT DISTINCT f.distinct_id,"
            " (e.ts AT TIME ZONE 'UTC')::date - (f.t0 AT TIME ZONE 'UTC')::date AS d"
            f" FROM firsts f JOIN ingest.analytics_events e ON {scope.where('e')}"
            " AND e.distinct_id = f.distinct_id AND e.ts > f.t0 AND e.ts < f.t0 + interval '32 days'"
            f"{_event_clause(back_event, 'back_event', 'e')}"
            ") SELECT (SELECT count(*) FROM firsts), count(*) FILTER (WHERE d = 1),"
            " count(*) FILTER (WHERE d = 7), count(*) FILTER (WHERE d = 30) FROM days",
            {
                **scope.binds(),
                **_names(first_event=first_event, back_event=back_event),
                "begin": begin,
                "stop": stop,
            },
        )
        size, d1, d7, d30 = (int(v or 0) for v in rows[0])
        return Summary(cohort_size=size, d1=d1, d7=d7, d30=d30)


def _cohorts(rows: list[Any], *, origin: datetime, unit: str, count: int) -> list[Cohort]:
    sizes: dict[datetime, int] = {}
    kept: dict[tuple[datetime, int], int] = {}
    for cohort, k, n in rows:
        start = cohort.replace(tzinfo=UTC)
        if int(k) < 0:
            sizes[start] = int(n)
        else:
            kept[(start, int(k))] = int(n)
    starts = [_shift(origin, unit, i) for i in range(count)]
    return [
        Cohort(start=s, size=sizes.get(s, 0), retained=[kept.get((s, k), 0) for k in range(count)])
        for s in starts
    ]
