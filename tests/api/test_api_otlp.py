"""OTLP over HTTP through the gateway with the unmodified OpenTelemetry SDK and OTLP/HTTP exporters: traces
as Jaeger-shaped queries, recorded exceptions as error groups, logs in the log search, OTLP/JSON and gzip
bodies, keys and tenancy, and agent log batches from the AGENTS stream (real identity, ingest, agents,
PostgreSQL, Redis and NATS JetStream)."""

from __future__ import annotations

import gzip
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from agent.v1 import agent_pb2
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk._logs import LoggingHandler
from opentelemetry.trace import SpanKind, Status, StatusCode
from switchyard.agents.v1 import events_pb2
from switchyard.gateway.config import Settings as GatewaySettings

from tests.api._http import http_gateway
from tests.api._otlp import eventually, flush, logger_provider, tracer_provider

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def otlp_http(
    identity_addr: str, redis_url: str, principal_key: bytes, fleet_addrs: dict[str, str]
) -> AsyncIterator[str]:
    """The base URL of a gateway on a real loopback port."""
    settings = GatewaySettings(
        identity_addr=identity_addr, redis_url=redis_url, principal_key=principal_key, **fleet_addrs
    )
    async with http_gateway(settings) as base_url:
        yield base_url


async def make_dsn(api: Any, owner: Any, **extra: Any) -> dict[str, Any]:
    """POST /api/errors/dsns as ``owner``."""
    made = await api.client.post("/api/errors/dsns", headers=owner.headers(), json={"name": "otel", **extra})
    assert made.status_code == 201, made.text
    dsn: dict[str, Any] = made.json()["dsn"]
    return dsn


def checkout(provider: Any) -> str:
    """A traced request: a server span with a failing card charge (recorded exception) and a DB call."""
    tracer = provider.get_tracer("shop")
    with tracer.start_as_current_span("GET /checkout", kind=SpanKind.SERVER) as root:
        root.set_attribute("http.route", "/checkout")
        with tracer.start_as_current_span("charge card", kind=SpanKind.CLIENT) as charge:
            try:
                raise ValueError("card 4242 declined")
            except ValueError as exc:
                charge.record_exception(exc)
                charge.set_status(Status(StatusCode.ERROR, "declined"))
        with tracer.start_as_current_span("SELECT orders", kind=SpanKind.CLIENT):
            pass
        return format(root.get_span_context().trace_id, "032x")


async def _traces(api: Any, owner: Any, service: str, **params: Any) -> list[dict[str, Any]]:
    found = await api.client.get(
        "/api/traces", headers=owner.headers(), params={"service": service, **params}
    )
    assert found.status_code == 200, found.text
    data: list[dict[str, Any]] = found.json()["data"]
    return data


async def test_an_sdk_traced_request_is_a_jaeger_trace_and_its_exception_an_error_group(
    api, otlp_http: str
) -> None:
    owner, stranger = await api.register("otel"), await api.register("otel-other")
    dsn = await make_dsn(api, owner)
    service = f"shop-{uuid.uuid4().hex[:6]}"
    provider = tracer_provider(otlp_http, dsn["publicKey"], service)
    trace_id = checkout(provider)
    assert await flush(provider)
    provider.shutdown()

    traces = await eventually(lambda: _traces(api, owner, service))
    assert [t["traceID"] for t in traces] == [trace_id]
    spans = {s["operationName"]: s for s in traces[0]["spans"]}
    assert set(spans) == {"GET /checkout", "charge card", "SELECT orders"}
    root = spans["GET /checkout"]
    assert root["references"] == []
    assert spans["charge card"]["references"] == [
        {"refType": "CHILD_OF", "traceID": trace_id, "spanID": root["spanID"]}
    ]
    assert {"key": "http.route", "type": "string", "value": "/checkout"} in root["tags"]
    assert {"key": "span.kind", "type": "string", "value": "server"} in root["tags"]
    assert {"key": "error", "type": "bool", "value": True} in spans["charge card"]["tags"]
    assert spans["charge card"]["logs"][0]["fields"][0] == {
        "key": "event",
        "type": "string",
        "value": "exception",
    }
    assert root["startTime"] <= spans["charge card"]["startTime"]
    assert root["duration"] >= spans["charge card"]["duration"] >= 0
    process = traces[0]["processes"][root["processID"]]
    assert process["serviceName"] == service
    assert {"key": "service.version", "type": "string", "value": "1.2.3"} in process["tags"]

    one = await api.client.get(f"/api/traces/{trace_id}", headers=owner.headers())
    assert one.status_code == 200
    assert [s["spanID"] for s in one.json()["data"][0]["spans"]] == [s["spanID"] for s in traces[0]["spans"]]
    by_operation = await _traces(api, owner, service, operation="SELECT orders")
    assert [t["traceID"] for t in by_operation] == [trace_id]
    assert await _traces(api, owner, service, operation="nope") == []
    services = (await api.client.get("/api/traces/services", headers=owner.headers())).json()
    assert services == {"data": [service], "total": 1}

    groups = await eventually(
        lambda: _groups(api, owner),
    )
    assert [(g["title"], g["eventCount"], g["projectId"]) for g in groups] == [
        ("ValueError: card 4242 declined", 1, dsn["projectId"])
    ]
    assert "in checkout" in groups[0]["culprit"]

    assert (await api.client.get(f"/api/traces/{trace_id}", headers=stranger.headers())).status_code == 404
    assert await _traces(api, stranger, service) == []
    missing = await api.client.get(f"/api/traces/{uuid.uuid4().hex}", headers=owner.headers())
    assert missing.status_code == 404
    assert missing.json() == {"error": "trace not found"}
    bad = await api.client.get("/api/traces/not-hex", headers=owner.headers())
    assert bad.status_code == 400
    assert "traceId" in bad.json()["error"]
    unnamed = await api.client.get("/api/traces", headers=owner.headers())
    assert unnamed.status_code == 400
    assert "service" in unnamed.json()["error"]


async def _groups(api: Any, owner: Any) -> list[dict[str, Any]]:
    listed = await api.client.get("/api/errors/groups", headers=owner.headers())
    assert listed.status_code == 200, listed.text
    groups: list[dict[str, Any]] = listed.json()["groups"]
    return groups


async def _logs(api: Any, owner: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    found = await api.client.get(path, headers=owner.headers(), params=params)
    if found.status_code == 404:
        return []  # the app is unknown until its first line is stored
    assert found.status_code == 200, found.text
    data: list[dict[str, Any]] = found.json()["data"]
    return data


async def test_sdk_logs_land_in_the_app_log_search_with_filters_and_pages(api, otlp_http: str) -> None:
    owner, stranger = await api.register("otel-logs"), await api.register("otel-logs-other")
    app = str(uuid.uuid4())
    dsn = await make_dsn(api, owner, appId=app)
    provider = logger_provider(otlp_http, dsn["publicKey"], "billing")
    log = logging.getLogger(f"billing-{uuid.uuid4().hex[:6]}")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    log.addHandler(LoggingHandler(level=logging.DEBUG, logger_provider=provider))
    for n in range(4):
        log.info("invoice %d sent", n)
    log.warning("payment FAILED for order 7")
    log.error("ledger out of balance")
    assert await flush(provider)
    provider.shutdown()

    path = f"/api/apps/{app}/logs"
    lines = await eventually(lambda: _logs(api, owner, path))
    assert len(lines) == 6
    assert {(line["source"], line["service"], line["appId"]) for line in lines} == {("otlp", "billing", app)}
    assert [line["body"] for line in lines][-1] == "invoice 0 sent"
    warn = await _logs(api, owner, path, level="warn,error")
    assert sorted((line["level"], line["body"]) for line in warn) == [
        ("error", "ledger out of balance"),
        ("warn", "payment FAILED for order 7"),
    ]
    assert [line["body"] for line in await _logs(api, owner, path, q=r"failed.*\d")] == [
        "payment FAILED for order 7"
    ]
    assert await _logs(api, owner, path, **{"from": "2999-01-01T00:00:00Z"}) == []

    first = await api.client.get(path, headers=owner.headers(), params={"limit": 4})
    second = await api.client.get(
        path, headers=owner.headers(), params={"limit": 4, "cursor": first.json()["nextCursor"]}
    )
    assert second.json()["nextCursor"] == ""
    paged = [line["id"] for line in first.json()["data"] + second.json()["data"]]
    assert paged == [line["id"] for line in lines]

    every = await _logs(api, owner, "/api/logs", app=app)
    assert len(every) == 6
    assert (await api.client.get(path, headers=stranger.headers())).status_code == 404
    for params, field in [({"q": "(open"}, "q"), ({"limit": 1001}, "limit"), ({"from": "yesterday"}, "from")]:
        refused = await api.client.get(path, headers=owner.headers(), params=params)
        assert refused.status_code == 400, refused.text
        assert field in refused.json()["error"]


def _export_json(trace_hex: str, span_hex: str) -> dict[str, Any]:
    # OTLP/JSON: camelCase keys, hex ids, integer enums, 64-bit integers as strings.
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-svc"}}]},
                "scopeSpans": [
                    {
                        "scope": {"name": "curl"},
                        "spans": [
                            {
                                "traceId": trace_hex.upper(),
                                "spanId": span_hex,
                                "name": "POST /json",
                                "kind": 2,
                                "startTimeUnixNano": "1700000000000000000",
                                "endTimeUnixNano": "1700000000250000000",
                                "status": {"code": 1},
                                "someFutureField": True,
                            }
                        ],
                    }
                ],
            }
        ]
    }


async def test_otlp_json_and_gzip_bodies_keys_and_bad_data(api) -> None:
    owner = await api.register("otel-json")
    dsn = await make_dsn(api, owner)
    auth = {"Authorization": f"Bearer {dsn['publicKey']}"}
    trace_hex, span_hex = os.urandom(16).hex(), os.urandom(8).hex()
    body = json.dumps(_export_json(trace_hex, span_hex)).encode()

    sent = await api.client.post(
        "/v1/traces",
        content=gzip.compress(body),
        headers=auth | {"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert sent.status_code == 200, sent.text
    assert sent.headers["content-type"].startswith("application/json")
    assert sent.json() == {}

    async def stored() -> list[dict[str, Any]]:
        found = await api.client.get(f"/api/traces/{trace_hex}", headers=owner.headers())
        return found.json()["data"] if found.status_code == 200 else []

    trace = (await eventually(stored))[0]
    assert trace["spans"][0]["spanID"] == span_hex
    assert trace["spans"][0]["duration"] == 250_000
    assert trace["spans"][0]["startTime"] == 1_700_000_000_000_000

    empty = ExportTraceServiceRequest().SerializeToString()
    proto = await api.client.post(
        "/v1/logs",
        content=gzip.compress(empty),
        headers=auth | {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
    )
    assert proto.status_code == 200
    assert proto.headers["content-type"] == "application/x-protobuf"
    assert proto.content == b""

    wrong = await api.client.post(
        "/v1/traces",
        content=body,
        headers={"Authorization": f"Bearer {uuid.uuid4().hex}", "Content-Type": "application/json"},
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid DSN key"
    assert (
        await api.client.post("/v1/traces", content=body, headers={"Content-Type": "application/json"})
    ).status_code == 401

    bad_id = json.loads(body)
    bad_id["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] = "zz"
    refused = await api.client.post("/v1/traces", json=bad_id, headers=auth)
    assert refused.status_code == 400
    assert "resourceSpans[0].scopeSpans[0].spans[0].traceId" in refused.json()["error"]
    assert (
        await api.client.post(
            "/v1/traces", content=b"{not json", headers=auth | {"Content-Type": "application/json"}
        )
    ).status_code == 400

    garbage = await api.client.post(
        "/v1/traces", content=b"\xff\xff\xff", headers=auth | {"Content-Type": "application/x-protobuf"}
    )
    assert garbage.status_code == 400
    assert garbage.headers["content-type"] == "application/x-protobuf"
    status = status_pb2.Status.FromString(garbage.content)
    assert status.message == "body is not a protobuf ExportTraceServiceRequest"
    other = await api.client.post("/v1/traces", content=b"x", headers=auth | {"Content-Type": "text/plain"})
    assert other.status_code == 415
    huge = await api.client.post(
        "/v1/traces", content=b"\x00" * 1_000_001, headers=auth | {"Content-Type": "application/x-protobuf"}
    )
    assert huge.status_code == 413
    assert "larger than" in status_pb2.Status.FromString(huge.content).message


async def test_agent_log_batches_from_the_agents_stream_are_searchable_by_app(api, ingest_server) -> None:
    owner = await api.register("agent-logs")
    server, app = str(uuid.uuid4()), str(uuid.uuid4())
    event = events_pb2.AgentLogsReceived(
        org_id=owner.tenant_id,
        server_id=server,
        batch=agent_pb2.LogBatch(
            server_id=server,
            entries=[
                agent_pb2.LogEntry(
                    timestamp_ns=1_800_000_000_000_000_000,
                    source="app",
                    level="error",
                    message="worker crashed",
                    app_id=app,
                    deployment_id="d-1",
                ),
                agent_pb2.LogEntry(
                    timestamp_ns=1_800_000_001_000_000_000, source="dwaar", level="info", message="reloaded"
                ),
            ],
        ),
    )
    event.received_at.GetCurrentTime()
    await ingest_server.js.publish(
        "agents.logs.received", event.SerializeToString(), headers={"Nats-Msg-Id": str(uuid.uuid4())}
    )

    lines = await eventually(lambda: _logs(api, owner, f"/api/apps/{app}/logs"))
    assert [(line["body"], line["level"], line["source"], line["serverId"]) for line in lines] == [
        ("worker crashed", "error", "agent", server)
    ]
    assert lines[0]["attributes"] == {"deployment_id": "d-1"}
    server_level = await _logs(api, owner, "/api/logs", source="agent")
    assert sorted(line["body"] for line in server_level) == ["reloaded", "worker crashed"]
