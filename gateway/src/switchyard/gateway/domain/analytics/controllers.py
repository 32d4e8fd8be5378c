"""``/api/analytics/*``: event lists, top names, strict funnels and cohort retention of the org's events.

Events arrive through the PostHog-compatible capture door (``/i/v0/e/``, ``/capture/``, ``/e/``,
``/batch/``); every query reads the caller's org only. Times are RFC 3339; a window is ``[from, to)``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter
from switchyard.gateway.auth.deps import TENANT
from switchyard.gateway.domain.analytics.params import bad, bounded, window
from switchyard.gateway.schema import CamelStruct, rfc3339
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal
from switchyard.ingest.v1 import analytics_pb2 as pb

FromParam = Annotated[str | None, QueryParameter(query="from", required=False)]


class Event(CamelStruct):
    """One stored event."""

    uuid: str
    app_id: str | None
    event: str
    distinct_id: str
    properties: dict[str, Any]
    timestamp: str


class Events(CamelStruct):
    """Newest first."""

    events: list[Event]


class EventCount(CamelStruct):
    """How often a name occurred in the window and how many distinct ids sent it."""

    event: str
    count: int
    distinct_ids: int


class TopEvents(CamelStruct):
    """At most 20 names, most frequent first."""

    events: list[EventCount]


class FunnelQuery(CamelStruct):
    """2..10 steps; per distinct id each step must be the very next event, all within ``windowHours``."""

    steps: list[str]
    app: str = ""
    from_: str | None = msgspec.field(default=None, name="from")
    to: str | None = None
    window_hours: int = 24


class FunnelStep(CamelStruct):
    """Distinct ids that reached the step, and the share of the first step's."""

    event: str
    count: int
    conversion: float


class Funnel(CamelStruct):
    """One entry per step, in order."""

    steps: list[FunnelStep]


class RetentionQuery(CamelStruct):
    """Cohorts by the period of each distinct id's first ``startEvent`` (empty = any event)."""

    period: str
    periods: int
    start_event: str = ""
    return_event: str = ""
    app: str = ""
    from_: str | None = msgspec.field(default=None, name="from")


class Cohort(CamelStruct):
    """A cohort's period start, size and how many came back in each period (period 0 first)."""

    start: str
    size: int
    retained: list[int]


class Retention(CamelStruct):
    """Oldest cohort first."""

    period: str
    cohorts: list[Cohort]


class SummaryQuery(CamelStruct):
    """The cohort is every distinct id whose first ``startEvent`` lies in ``[from, to)`` (default 30 days)."""

    start_event: str = ""
    return_event: str = ""
    app: str = ""
    from_: str | None = msgspec.field(default=None, name="from")
    to: str | None = None


class Summary(CamelStruct):
    """Distinct ids back exactly 1, 7 and 30 UTC days after their first event, and the rates."""

    cohort_size: int
    d1: int
    d7: int
    d30: int
    d1_rate: float
    d7_rate: float
    d30_rate: float


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


class AnalyticsController(Controller):
    """Queries over the org's product-analytics events."""

    path = "/api/analytics"
    tags = ["Analytics"]
    dependencies = TENANT
    security = [{"bearer": []}]

    @get(
        "/events",
        operation_id="ListAnalyticsEvents",
        description="The org's captured events, newest first. name: exact event name; app: app id (UUID); from/to: RFC 3339 window [from, to); limit 1..1000 (default 100).",  # noqa: E501
    )
    async def events(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        from_: FromParam = None,
        name: FromQuery[str] = "",
        app: FromQuery[str] = "",
        to: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
    ) -> Events:
        """List events."""
        request = pb.ListAnalyticsEventsRequest(
            event=name, app_id=app, limit=bounded(limit, "limit", low=1, high=1000)
        )
        window(request, from_, to)
        r = await gateway.ingest.list_analytics_events(principal, request)
        return Events(
            events=[
                Event(
                    uuid=e.uuid,
                    app_id=e.app_id or None,
                    event=e.event,
                    distinct_id=e.distinct_id,
                    properties=json.loads(e.properties_json or "{}"),
                    timestamp=rfc3339(e.timestamp),
                )
                for e in r.events
            ]
        )

    @get(
        "/events/top",
        operation_id="TopAnalyticsEvents",
        description="The 20 most frequent event names of [from, to) (default: the 7 days before now), with their distinct ids.",  # noqa: E501
    )
    async def top(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        from_: FromParam = None,
        app: FromQuery[str] = "",
        to: FromQuery[str | None] = None,
    ) -> TopEvents:
        """Top names."""
        request = pb.TopAnalyticsEventsRequest(app_id=app)
        window(request, from_, to)
        r = await gateway.ingest.top_analytics_events(principal, request)
        return TopEvents(
            events=[EventCount(event=e.event, count=e.count, distinct_ids=e.distinct_ids) for e in r.events]
        )

    @post(
        "/funnels",
        status_code=200,
        operation_id="AnalyticsFunnel",
        description="Strict-order funnel: body {steps: [2..10 event names], app?, from?, to? (default 30 days), windowHours? 1..8760 (default 24)}. Per distinct id, step k+1 must be the very next event after step k and within windowHours of the first step.",  # noqa: E501
    )
    async def funnel(
        self,
        data: JSONBody[FunnelQuery],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> Funnel:
        """Funnel counts."""
        if data.window_hours < 1:
            # 0 means "default" on the wire; an explicit 0 here is a mistake.
            raise bad("windowHours", "must be 1..8760")
        request = pb.AnalyticsFunnelRequest(steps=data.steps, app_id=data.app, window_hours=data.window_hours)
        window(request, data.from_, data.to)
        r = await gateway.ingest.analytics_funnel(principal, request)
        first = r.steps[0].count if r.steps else 0
        return Funnel(
            steps=[
                FunnelStep(event=s.event, count=s.count, conversion=_rate(s.count, first)) for s in r.steps
            ]
        )

    @post(
        "/retention",
        status_code=200,
        operation_id="AnalyticsRetention",
        description="Cohort retention: body {period: day|week|month, periods: 1..52, startEvent?, returnEvent? (empty = any event), app?, from? (default: periods-1 periods before now)}. A distinct id joins the cohort of the period of its first startEvent; retained[k] counts those with a returnEvent k periods later.",  # noqa: E501
    )
    async def retention(
        self,
        data: JSONBody[RetentionQuery],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> Retention:
        """Cohort retention."""
        request = pb.AnalyticsRetentionRequest(
            period=data.period,
            periods=data.periods,
            start_event=data.start_event,
            return_event=data.return_event,
            app_id=data.app,
        )
        window(request, data.from_, None)
        r = await gateway.ingest.analytics_retention(principal, request)
        return Retention(
            period=data.period.strip().lower(),
            cohorts=[
                Cohort(start=rfc3339(c.start), size=c.size, retained=list(c.retained)) for c in r.cohorts
            ],
        )

    @post(
        "/retention/summary",
        status_code=200,
        operation_id="AnalyticsRetentionSummary",
        description="D1/D7/D30: body {startEvent?, returnEvent?, app?, from?, to? (default 30 days)}. Of the distinct ids whose first startEvent lies in [from, to), how many sent a returnEvent exactly 1, 7 and 30 UTC days later.",  # noqa: E501
    )
    async def summary(
        self,
        data: JSONBody[SummaryQuery],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> Summary:
        """D1/D7/D30."""
        request = pb.AnalyticsRetentionSummaryRequest(
            start_event=data.start_event, return_event=data.return_event, app_id=data.app
        )
        window(request, data.from_, data.to)
        r = await gateway.ingest.analytics_retention_summary(principal, request)
        size = r.cohort_size
        return Summary(
            cohort_size=size,
            d1=r.d1,
            d7=r.d7,
            d30=r.d30,
            d1_rate=_rate(r.d1, size),
            d7_rate=_rate(r.d7, size),
            d30_rate=_rate(r.d30, size),
        )


ROUTES = [AnalyticsController]
