"""Analytics over real NATS, PostgreSQL and gRPC: captures published as the gateway publishes them are
stored once; event lists, top names, strict funnels and retention are computed from them; every parameter
is validated; another org sees nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from switchyard.ingest.v1 import analytics_pb2 as apb
from switchyard.ingest.v1 import ingest_service_pb2 as svc
from switchyard.testing import eventually

from services.ingest.tests.integration._analytics import capture, event, ts

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


async def _dsn(ingest, org: str, app: str = "") -> object:
    r = await ingest.call("CreateDsn", svc.CreateDsnRequest(name="web", app_id=app), ingest.owner(org))
    return r.dsn


async def _count(ingest, org: str, expected: int, **filters: object) -> list[apb.AnalyticsEvent]:
    async def probe() -> list[apb.AnalyticsEvent] | None:
        r = await ingest.call(
            "ListAnalyticsEvents", apb.ListAnalyticsEventsRequest(limit=1000, **filters), ingest.member(org)
        )
        return list(r.events) if len(r.events) >= expected else None

    return await eventually(probe) or []


async def test_single_and_batch_captures_are_stored_once_with_the_dsn_app(ingest) -> None:
    org, app = ingest.new_org(), str(uuid.uuid4())
    dsn = await _dsn(ingest, org, app)
    single = {"api_key": dsn.public_key, **event("signed up", "u1", T0, plan="pro")}
    batch = {"api_key": dsn.public_key, "batch": [event("page", "u1", T0), event("page", "u2", T0)]}
    await capture(ingest.server, dsn, single)
    await capture(ingest.server, dsn, batch)
    await capture(ingest.server, dsn, batch)  # a redelivered batch: same uuids

    events = await _count(ingest, org, 3)
    assert sorted(e.event for e in events) == ["page", "page", "signed up"]
    assert {e.app_id for e in events} == {app}
    signed = next(e for e in events if e.event == "signed up")
    assert '"plan":"pro"' in signed.properties_json
    assert signed.timestamp.ToDatetime(tzinfo=UTC) == T0
    # Filters: by name and by app.
    only = await ingest.call(
        "ListAnalyticsEvents", apb.ListAnalyticsEventsRequest(event="page"), ingest.member(org)
    )
    assert len(only.events) == 2
    other_app = apb.ListAnalyticsEventsRequest(app_id=str(uuid.uuid4()))
    assert not (await ingest.call("ListAnalyticsEvents", other_app, ingest.member(org))).events
    # Another org sees none of them.
    theirs = await ingest.call(
        "ListAnalyticsEvents", apb.ListAnalyticsEventsRequest(), ingest.member(ingest.new_org())
    )
    assert not theirs.events


async def test_events_without_uuid_get_a_stable_one_and_poison_goes_to_the_dead_letter_subject(
    ingest,
) -> None:
    org = ingest.new_org()
    dsn = await _dsn(ingest, org)
    sub = await ingest.server.js.subscribe("ingest.dlq", ordered_consumer=True, deliver_policy="new")
    await capture(ingest.server, dsn, b"{not json")
    dead = await sub.next_msg(timeout=20)
    assert dead.headers["Ingest-Dlq-Subject"] == "ingest.raw.posthog"
    assert "JSON" in dead.headers["Ingest-Dlq-Reason"]
    await sub.unsubscribe()
    bare = {"event": "x", "distinct_id": 7, "timestamp": T0.isoformat()}
    await capture(ingest.server, dsn, bare)
    events = await _count(ingest, org, 1)
    assert events[0].distinct_id == "7"
    assert str(uuid.UUID(events[0].uuid)) == events[0].uuid


async def test_top_names_and_strict_funnel(ingest) -> None:
    org = ingest.new_org()
    dsn = await _dsn(ingest, org)
    m = timedelta(minutes=1)
    seeded = [
        # u1 goes a -> b -> c: all three steps.
        event("a", "u1", T0), event("b", "u1", T0 + m), event("c", "u1", T0 + 2 * m),
        # u2 does x between a and b: strict order stops it after a.
        event("a", "u2", T0), event("x", "u2", T0 + m), event("b", "u2", T0 + 2 * m),
        event("c", "u2", T0 + 3 * m),
        # u3 reaches b, but c comes after the 2-hour window.
        event("a", "u3", T0), event("b", "u3", T0 + m), event("c", "u3", T0 + timedelta(hours=3)),
        # u4 never starts.
        event("b", "u4", T0), event("c", "u4", T0 + m),
    ]  # fmt: skip
    await capture(ingest.server, dsn, {"batch": seeded})
    await _count(ingest, org, len(seeded))
    window = {"from": ts(T0 - timedelta(days=1)), "to": ts(T0 + timedelta(days=1))}
    funnel = await ingest.call(
        "AnalyticsFunnel", apb.AnalyticsFunnelRequest(steps=["a", "b", "c"], window_hours=2, **window),
        ingest.member(org),
    )  # fmt: skip
    assert [(s.event, s.count) for s in funnel.steps] == [("a", 3), ("b", 2), ("c", 1)]
    top = await ingest.call("TopAnalyticsEvents", apb.TopAnalyticsEventsRequest(**window), ingest.member(org))
    assert [(e.event, e.count, e.distinct_ids) for e in top.events] == [
        ("b", 4, 4), ("c", 4, 4), ("a", 3, 3), ("x", 1, 1)
    ]  # fmt: skip


async def test_cohort_retention_and_d1_d7_d30(ingest) -> None:
    org = ingest.new_org()
    dsn = await _dsn(ingest, org)
    d = timedelta(days=1)
    seeded = [
        # Day 0 cohort: u1, u2, u3. u1 is back on day 1 and 7, u2 on day 1, u3 on day 30.
        event("signup", "u1", T0), event("signup", "u2", T0), event("signup", "u3", T0),
        event("open", "u1", T0 + d), event("open", "u2", T0 + d), event("open", "u1", T0 + 7 * d),
        event("open", "u3", T0 + 30 * d),
        # Day 1 cohort: u4, back on day 2.
        event("signup", "u4", T0 + d), event("open", "u4", T0 + 2 * d),
    ]  # fmt: skip
    await capture(ingest.server, dsn, {"batch": seeded})
    await _count(ingest, org, len(seeded))
    daily = await ingest.call(
        "AnalyticsRetention",
        apb.AnalyticsRetentionRequest(
            period="day", periods=3, start_event="signup", return_event="open", **{"from": ts(T0)}
        ),
        ingest.member(org),
    )
    assert [(c.start.ToDatetime(tzinfo=UTC), c.size, list(c.retained)) for c in daily.cohorts] == [
        (T0.replace(hour=0), 3, [0, 2, 0]),
        (T0.replace(hour=0) + d, 1, [0, 1, 0]),
        (T0.replace(hour=0) + 2 * d, 0, [0, 0, 0]),
    ]
    weekly = await ingest.call(
        "AnalyticsRetention",
        apb.AnalyticsRetentionRequest(
            period="week", periods=2, start_event="signup", return_event="open", **{"from": ts(T0)}
        ),
        ingest.member(org),
    )
    assert [(c.size, list(c.retained)) for c in weekly.cohorts] == [(4, [3, 1]), (0, [0, 0])]
    summary = await ingest.call(
        "AnalyticsRetentionSummary",
        apb.AnalyticsRetentionSummaryRequest(
            start_event="signup", return_event="open", **{"from": ts(T0 - d), "to": ts(T0 + 2 * d)}
        ),
        ingest.member(org),
    )
    assert (summary.cohort_size, summary.d1, summary.d7, summary.d30) == (4, 3, 1, 1)


@pytest.mark.parametrize(
    ("method", "request_", "field"),
    [
        ("ListAnalyticsEvents", apb.ListAnalyticsEventsRequest(limit=1001), "limit"),
        ("ListAnalyticsEvents", apb.ListAnalyticsEventsRequest(app_id="nope"), "app"),
        ("ListAnalyticsEvents", apb.ListAnalyticsEventsRequest(event="x" * 201), "name"),
        ("TopAnalyticsEvents", apb.TopAnalyticsEventsRequest(**{"from": ts(T0), "to": ts(T0)}), "from"),
        ("AnalyticsFunnel", apb.AnalyticsFunnelRequest(steps=["a"]), "steps"),
        ("AnalyticsFunnel", apb.AnalyticsFunnelRequest(steps=["a"] * 11), "steps"),
        ("AnalyticsFunnel", apb.AnalyticsFunnelRequest(steps=["a", " "]), "steps"),
        ("AnalyticsFunnel", apb.AnalyticsFunnelRequest(steps=["a", "b"], window_hours=-1), "windowHours"),
        ("AnalyticsRetention", apb.AnalyticsRetentionRequest(period="year", periods=3), "period"),
        ("AnalyticsRetention", apb.AnalyticsRetentionRequest(period="day", periods=53), "periods"),
        ("AnalyticsRetention", apb.AnalyticsRetentionRequest(period="day", periods=0), "periods"),
        (
            "AnalyticsRetentionSummary",
            apb.AnalyticsRetentionSummaryRequest(start_event="s" * 300),
            "startEvent",
        ),
    ],
)
async def test_bad_parameters_are_invalid_argument_naming_the_field(ingest, method, request_, field) -> None:
    error = await ingest.fails(method, request_, ingest.member(ingest.new_org()))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error.details()


async def test_queries_need_an_org_member(ingest) -> None:
    error = await ingest.fails("ListAnalyticsEvents", apb.ListAnalyticsEventsRequest())
    assert error.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED)
