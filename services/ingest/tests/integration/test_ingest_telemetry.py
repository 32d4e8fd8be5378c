"""Telemetry over real NATS, PostgreSQL and gRPC: OTLP exports and agent log batches consumed, stored
idempotently and queried (traces by service/operation, one trace, log search with filters and cursor)."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime

import grpc
import pytest
from agent.v1 import agent_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from switchyard.bus import ensure_stream
from switchyard.db.engine import create_engine, create_session_factory
from switchyard.ingest.domain.telemetry.records import Batch, LogRow, SpanRow
from switchyard.ingest.domain.telemetry.store import store_telemetry
from switchyard.ingest.v1 import ingest_service_pb2 as svc
from switchyard.ingest.v1 import telemetry_pb2 as pb

from services.ingest.tests.integration._telemetry import (
    AGENTS_SUBJECTS,
    agent_batch,
    eventually,
    headers,
    kv,
    logs,
    span,
    traces,
)

pytestmark = pytest.mark.integration

STACK = """Traceback (most recent call last):
  File "/usr/lib/python3.12/site-packages/web/app.py", line 10, in handler
    return view()
  File "/srv/shop/cart.py", line 31, in add_item
    raise ValueError("bad cart 42")
ValueError: bad cart 42
"""


async def _publish(ingest, subject: str, body: bytes, hdrs: dict[str, str]) -> None:
    await ingest.server.js.publish(subject, body, headers=hdrs)


async def test_spans_are_stored_once_and_found_by_service_operation_and_trace_id(ingest) -> None:
    org, other = ingest.new_org(), ingest.new_org()
    dsn = (await ingest.call("CreateDsn", svc.CreateDsnRequest(name="otel"), ingest.owner(org))).dsn
    project = dsn.project_id
    trace = os.urandom(16)
    root = span(trace, "checkout")
    error = Span.Event(
        name="exception",
        time_unix_nano=root.start_time_unix_nano,
        attributes=[
            kv("exception.type", "ValueError"),
            kv("exception.message", "bad cart 42"),
            kv("exception.stacktrace", STACK),
        ],
    )
    child = span(trace, "charge", parent=root.span_id, events=[error])
    body = traces("shop", [root, child])
    hdrs = headers(org, "otlp-traces", app="11111111-1111-1111-1111-111111111111", project=project)
    await _publish(ingest, "ingest.raw.otlp", body, hdrs)
    # The same export again under another message id (an SDK retry), then a sentinel: the consumer goes in
    # stream order, so once the sentinel is stored, both copies have been processed.
    await _publish(ingest, "ingest.raw.otlp", body, {**hdrs, "Nats-Msg-Id": str(uuid.uuid4())})
    sentinel = os.urandom(16)
    await _publish(
        ingest,
        "ingest.raw.otlp",
        traces("sentinel", [span(sentinel, "tick")]),
        hdrs | {"Nats-Msg-Id": str(uuid.uuid4())},
    )

    async def both_spans() -> list[pb.Span]:
        found = await ingest.call("SearchTraces", pb.SearchTracesRequest(service="shop"), ingest.member(org))
        return [s for t in found.traces for s in t.spans if len(t.spans) == 2]

    await eventually(both_spans)
    spans = (
        await ingest.call("GetTrace", pb.GetTraceRequest(trace_id=trace.hex()), ingest.member(org))
    ).trace.spans
    assert sorted(s.name for s in spans) == ["charge", "checkout"]
    by_name = {s.name: s for s in spans}
    assert by_name["charge"].parent_span_id == root.span_id.hex()
    assert by_name["checkout"].service_name == "shop"
    assert by_name["checkout"].duration_nano == 5_000_000
    assert json.loads(by_name["checkout"].attributes_json) == {"http.route": "/checkout"}
    assert json.loads(by_name["charge"].events_json)[0]["attributes"]["exception.type"] == "ValueError"
    assert by_name["checkout"].app_id == "11111111-1111-1111-1111-111111111111"

    services = await ingest.call("ListTraceServices", pb.ListTraceServicesRequest(), ingest.member(org))
    assert list(services.services) == ["sentinel", "shop"]
    found = await ingest.call(
        "SearchTraces", pb.SearchTracesRequest(service="shop", operation="charge"), ingest.member(org)
    )
    assert [t.trace_id for t in found.traces] == [trace.hex()]
    assert len(found.traces[0].spans) == 2
    none = await ingest.call(
        "SearchTraces", pb.SearchTracesRequest(service="shop", operation="nope"), ingest.member(org)
    )
    assert list(none.traces) == []

    # The exception event (sent twice) is one error event of the DSN's project, in a Sentry-style group.
    groups = (
        await ingest.call(
            "ListErrorGroups", svc.ListErrorGroupsRequest(project_id=project), ingest.member(org)
        )
    ).groups
    assert [(g.title, g.culprit, g.event_count) for g in groups] == [
        ("ValueError: bad cart 42", "/srv/shop/cart.py in add_item", 1)
    ]
    group = await ingest.call(
        "GetErrorGroup", svc.GetErrorGroupRequest(group_id=groups[0].id), ingest.member(org)
    )
    frames = group.latest_event.exceptions[0].frames
    assert [(f.function, f.lineno, f.in_app) for f in frames] == [
        ("handler", 10, False),
        ("add_item", 31, True),
    ]
    assert frames[1].context_line == 'raise ValueError("bad cart 42")'
    assert json.loads(group.latest_event.tags_json)["trace_id"] == trace.hex()

    foreign = await ingest.fails("GetTrace", pb.GetTraceRequest(trace_id=trace.hex()), ingest.member(other))
    assert foreign.code() == grpc.StatusCode.NOT_FOUND
    bad = await ingest.fails("GetTrace", pb.GetTraceRequest(trace_id="xyz"), ingest.member(org))
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "traceId" in (bad.details() or "")
    missing = await ingest.fails("SearchTraces", pb.SearchTracesRequest(), ingest.member(org))
    assert "service" in (missing.details() or "")


async def _records(ingest, org: str, request: pb.SearchLogsRequest) -> list[pb.LogRecord]:
    # Until a line of the app is stored, the org does not know the app: NOT_FOUND reads as "nothing yet".
    try:
        return list((await ingest.call("SearchLogs", request, ingest.member(org))).records)
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.NOT_FOUND:
            raise
        return []


async def test_otlp_logs_are_searchable_by_level_regex_time_and_pages(ingest) -> None:
    org = ingest.new_org()
    app = str(uuid.uuid4())
    lines = [(9, f"request {i} ok") for i in range(5)] + [
        (17, "payment FAILED for order 7"),
        (13, "slow query"),
    ]
    await _publish(ingest, "ingest.raw.otlp", logs("api", lines), headers(org, "otlp-logs", app=app))
    stored = await eventually(lambda: _records(ingest, org, pb.SearchLogsRequest(app_id=app)))
    assert len(stored) == 7
    assert {r.source for r in stored} == {"otlp"}

    errors = await _records(ingest, org, pb.SearchLogsRequest(app_id=app, level="error,warn"))
    assert sorted(r.body for r in errors) == ["payment FAILED for order 7", "slow query"]
    assert {r.level for r in errors} == {"error", "warn"}
    regex = await _records(ingest, org, pb.SearchLogsRequest(app_id=app, query=r"failed.*\d+"))
    assert [r.body for r in regex] == ["payment FAILED for order 7"]

    seen: list[str] = []
    cursor = ""
    while True:
        page = await ingest.call(
            "SearchLogs", pb.SearchLogsRequest(app_id=app, limit=3, cursor=cursor), ingest.member(org)
        )
        seen.extend(r.id for r in page.records)
        cursor = page.next_cursor
        if not cursor:
            break
    assert sorted(seen) == sorted(r.id for r in stored)
    assert len(set(seen)) == 7

    future = Timestamp()
    future.GetCurrentTime()
    future.seconds += 3600
    assert await _records(ingest, org, pb.SearchLogsRequest(app_id=app, **{"from": future})) == []
    foreign = await ingest.fails(
        "SearchLogs", pb.SearchLogsRequest(app_id=app), ingest.member(ingest.new_org())
    )
    assert foreign.code() == grpc.StatusCode.NOT_FOUND

    for request, field in [
        (pb.SearchLogsRequest(query="(unclosed"), "q"),
        (pb.SearchLogsRequest(query="a" * 201), "q"),
        (pb.SearchLogsRequest(limit=1001), "limit"),
        (pb.SearchLogsRequest(level="loud"), "level"),
        (pb.SearchLogsRequest(cursor="!!"), "cursor"),
    ]:
        bad = await ingest.fails("SearchLogs", request, ingest.member(org))
        assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in (bad.details() or "")


async def test_agent_log_batches_land_in_the_log_store_by_app_or_server(ingest) -> None:
    await ensure_stream(ingest.server.js, name="AGENTS", subjects=AGENTS_SUBJECTS)
    org, server, app = ingest.new_org(), str(uuid.uuid4()), str(uuid.uuid4())
    entries = [
        agent_pb2.LogEntry(
            timestamp_ns=1_700_000_000_000_000_000,
            source="app",
            level="ERROR",
            message="boom in web",
            app_id=app,
        ),
        agent_pb2.LogEntry(
            timestamp_ns=1_700_000_001_000_000_000,
            source="container",
            level="info",
            message="labelled",
            fields={"app_id": app, "container": "web-1"},
        ),
        agent_pb2.LogEntry(
            timestamp_ns=1_700_000_002_000_000_000, source="dwaar", level="warning", message="proxy reload"
        ),
    ]
    body = agent_batch(org, server, entries)
    msg_id = str(uuid.uuid4())
    await ingest.server.js.publish("agents.logs.received", body, headers={"Nats-Msg-Id": msg_id})
    await ingest.server.js.publish(
        "agents.logs.received", b"\xff garbage", headers={"Nats-Msg-Id": msg_id + "x"}
    )

    of_app = await eventually(lambda: _records(ingest, org, pb.SearchLogsRequest(app_id=app)))
    assert [r.body for r in of_app] == ["labelled", "boom in web"]
    assert [r.level for r in of_app] == ["info", "error"]
    assert {(r.source, r.server_id) for r in of_app} == {("agent", server)}
    assert json.loads(of_app[0].attributes_json)["container"] == "web-1"
    every = await _records(ingest, org, pb.SearchLogsRequest(source="agent"))
    server_level = [r for r in every if not r.app_id]
    assert [(r.body, r.level, r.server_id) for r in server_level] == [("proxy reload", "warn", server)]


async def test_a_batch_larger_than_one_insert_page_is_stored_and_counted_once(ingest_settings) -> None:
    # More rows than SQLAlchemy puts in one multi-row INSERT (1,000): every page is written and counted.
    trace = uuid.uuid4().hex
    now = datetime.now(UTC)
    spans = [
        SpanRow(trace, f"{n:016x}", "", "bulk", f"op {n % 7}", 1, n, n + 10, 0, "", {}, [], {})
        for n in range(2_300)
    ]
    lines = [
        LogRow(position=n, ts=now, level="info", severity_number=9, body=f"line {n}") for n in range(1_200)
    ]
    batch = Batch(msg_id=uuid.uuid4().hex, org_id=str(uuid.uuid4()), source="otlp", spans=spans, logs=lines)
    engine = create_engine(ingest_settings.database_url)
    sessions = create_session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            first = await store_telemetry(session, [batch], now=now)
        async with sessions() as session, session.begin():
            again = await store_telemetry(session, [batch], now=now)
    finally:
        await engine.dispose()
    assert (first.spans, first.logs) == (2_300, 1_200)
    assert (again.spans, again.logs) == (0, 0)
