"""Service metrics over real gRPC, NATS and PostgreSQL: push keys (shown once, hashed at rest, revoked at
once), pushes made durable in JetStream before the answer, bucketed per-instance range queries."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sqlalchemy import text
from switchyard.ingest.v1 import analytics_pb2 as apb
from switchyard.testing import eventually

pytestmark = pytest.mark.integration


async def _key(ingest, org: str) -> tuple[apb.MetricsKey, str]:
    r = await ingest.call("CreateMetricsKey", apb.CreateMetricsKeyRequest(name="node"), ingest.owner(org))
    return r.key, r.raw_key


async def _push(ingest, raw: str, service: str, body: object) -> apb.PushServiceMetricsResponse:
    request = apb.PushServiceMetricsRequest(raw_key=raw, service_id=service, body=json.dumps(body).encode())
    return await ingest.call("PushServiceMetrics", request)


async def test_keys_are_shown_once_hashed_at_rest_and_listed_without_secret(ingest) -> None:
    org = ingest.new_org()
    key, raw = await _key(ingest, org)
    assert raw.startswith("smk_")
    assert key.prefix == raw[:12]
    async with ingest.server.engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT key_hash FROM ingest.metrics_keys WHERE id = :id"), {"id": key.id}
            )
        ).scalar()
    assert stored == hashlib.sha256(raw.encode()).hexdigest()
    listed = await ingest.call("ListMetricsKeys", apb.ListMetricsKeysRequest(), ingest.member(org))
    assert [k.id for k in listed.keys] == [key.id]
    assert raw not in str(listed)
    # Members may list but not mint.
    error = await ingest.fails("CreateMetricsKey", apb.CreateMetricsKeyRequest(name="x"), ingest.member(org))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_push_then_range_query_per_instance(ingest) -> None:
    org = ingest.new_org()
    _, raw = await _key(ingest, org)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    earlier = (now - timedelta(minutes=3)).isoformat()
    one = await _push(
        ingest, raw, "db-1", {"name": "cpu", "value": 0.5, "instance": "a", "timestamp": earlier}
    )
    assert one.accepted == 1
    batch = {
        "metrics": [
            {"name": "cpu", "value": 0.7, "instance": "a", "timestamp": earlier},
            {"name": "cpu", "value": 0.2, "instance": "b", "labels": {"zone": "eu"}},
            {"name": "connections", "value": 12},
        ]
    }
    assert (await _push(ingest, raw, "db-1", batch)).accepted == 3

    async def probe() -> apb.QueryServiceMetricsResponse | None:
        try:
            r = await ingest.call(
                "QueryServiceMetrics",
                apb.QueryServiceMetricsRequest(service_id="db-1", range="1h"),
                ingest.member(org),
            )
        except grpc.aio.AioRpcError:
            return None
        return r if sum(p.samples for s in r.series for p in s.points) == 4 else None

    r = await eventually(probe)
    assert r is not None
    assert r.bucket_seconds == 60
    series = {(s.name, s.instance): s for s in r.series}
    assert set(series) == {("connections", "default"), ("cpu", "a"), ("cpu", "b")}
    cpu_a = series[("cpu", "a")].points
    assert [(p.samples, round(p.value, 6)) for p in cpu_a] == [(2, 0.6)]
    only_cpu = await ingest.call(
        "QueryServiceMetrics",
        apb.QueryServiceMetricsRequest(service_id="db-1", range="7d", name="cpu"),
        ingest.member(org),
    )
    assert only_cpu.bucket_seconds == 3600
    assert {s.name for s in only_cpu.series} == {"cpu"}
    # Another org never pushed for db-1: 404.
    error = await ingest.fails(
        "QueryServiceMetrics",
        apb.QueryServiceMetricsRequest(service_id="db-1", range="1h"),
        ingest.member(ingest.new_org()),
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_a_revoked_key_fails_on_the_next_push_and_other_orgs_cannot_revoke(ingest) -> None:
    org = ingest.new_org()
    key, raw = await _key(ingest, org)
    assert (await _push(ingest, raw, "svc", {"name": "up", "value": 1})).accepted == 1
    error = await ingest.fails(
        "RevokeMetricsKey", apb.RevokeMetricsKeyRequest(key_id=key.id), ingest.owner(ingest.new_org())
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    revoked = await ingest.call(
        "RevokeMetricsKey", apb.RevokeMetricsKeyRequest(key_id=key.id), ingest.owner(org)
    )
    assert revoked.key.HasField("revoked_at")
    error = await ingest.fails(
        "PushServiceMetrics",
        apb.PushServiceMetricsRequest(raw_key=raw, service_id="svc", body=b'{"name": "up", "value": 1}'),
    )
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    ("service", "body", "field"),
    [
        ("bad id!", {"name": "up", "value": 1}, "id"),
        ("svc", {"name": "9up", "value": 1}, "name"),
        ("svc", {"name": "up", "value": "1"}, "value"),
        ("svc", {"name": "up", "value": True}, "value"),
        ("svc", {"name": "up", "value": 1, "timestamp": "yesterday"}, "timestamp"),
        ("svc", {"name": "up", "value": 1, "timestamp": "2999-01-01T00:00:00Z"}, "timestamp"),
        ("svc", {"name": "up", "value": 1, "labels": {"a": 1}}, "labels"),
        ("svc", {"metrics": []}, "metrics"),
        ("svc", {"metrics": [{"name": "up", "value": 1}] * 1001}, "metrics"),
        ("svc", {"metrics": [{"name": "up", "value": 1}, {"name": "up"}]}, "metrics[1].value"),
    ],
)
async def test_bad_pushes_are_invalid_argument_naming_the_field(ingest, service, body, field) -> None:
    _, raw = await _key(ingest, ingest.new_org())
    request = apb.PushServiceMetricsRequest(raw_key=raw, service_id=service, body=json.dumps(body).encode())
    error = await ingest.fails("PushServiceMetrics", request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith(field)


async def test_bad_range_is_invalid_argument(ingest) -> None:
    error = await ingest.fails(
        "QueryServiceMetrics",
        apb.QueryServiceMetricsRequest(service_id="svc", range="2h"),
        ingest.member(ingest.new_org()),
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "range" in error.details()
