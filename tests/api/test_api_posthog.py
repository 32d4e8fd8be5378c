"""Product analytics with the unmodified ``posthog`` Python client: it sends to a gateway on a loopback
port with a DSN public key as its project api key; ``capture`` (sync mode) and a batch flush (background
consumer, explicit ``flush``) land as events, a funnel and retention over them give the expected counts.
Wire-level checks: gzip, ``?compression=gzip-js``, form ``data=``, trailing slashes, 401/400, other orgs."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from posthog import Posthog

from tests.api._analytics import create_dsn, events_of, gateway_over_tcp

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def posthog_host(
    identity_addr: str, redis_url: str, principal_key: bytes, fleet_addrs: dict[str, Any]
) -> Any:
    """A gateway on a real loopback port (the SDK uses blocking ``requests``)."""
    async with gateway_over_tcp(
        identity_addr=identity_addr,
        redis_url=redis_url,
        principal_key=principal_key,
        trust_proxy=True,
        auth_rate_limit_per_minute=100_000,
        **fleet_addrs,
    ) as base_url:
        yield base_url


def _sync_client(key: str, host: str, **options: Any) -> Posthog:
    # sync_mode: each capture is posted at once from the calling thread; no background thread.
    return Posthog(key, host=host, sync_mode=True, max_retries=0, **options)


async def test_capture_and_batch_flush_land_as_events_and_feed_a_funnel(
    api, posthog_host, ingest_addr, principal_key
) -> None:
    owner = await api.register("analytics")
    app_id = str(uuid.uuid4())
    dsn = await create_dsn(ingest_addr, principal_key, owner, app_id)
    m = timedelta(minutes=1)

    def send() -> None:
        single = _sync_client(dsn.public_key, posthog_host)
        single.capture("visit", distinct_id="u1", properties={"page": "/"}, timestamp=T0)
        single.capture("visit", distinct_id="u2", timestamp=T0)
        single.shutdown()
        # The batch path: the background consumer posts one /batch/ when flushed (gzip on).
        batched = Posthog(dsn.public_key, host=posthog_host, flush_at=100, flush_interval=60, gzip=True)
        batched.capture("signup", distinct_id="u1", timestamp=T0 + m)
        batched.capture("pay", distinct_id="u1", timestamp=T0 + 2 * m)
        batched.capture("signup", distinct_id="u2", timestamp=T0 + m)
        batched.capture("visit", distinct_id="u3", timestamp=T0)
        batched.flush()
        batched.shutdown()

    await asyncio.to_thread(send)
    events = await events_of(api.client, owner, 6)
    assert sorted((e["event"], e["distinctId"]) for e in events) == [
        ("pay", "u1"), ("signup", "u1"), ("signup", "u2"), ("visit", "u1"), ("visit", "u2"), ("visit", "u3"),
    ]  # fmt: skip
    assert {e["appId"] for e in events} == {app_id}
    first = next(e for e in events if e["event"] == "visit" and e["distinctId"] == "u1")
    assert first["properties"]["page"] == "/"
    assert first["properties"]["$lib"] == "posthog-python"
    assert first["timestamp"] == "2026-11-02T09:00:00Z"

    window = {"from": (T0 - m).isoformat(), "to": (T0 + 10 * m).isoformat()}
    funnel = await api.client.post(
        "/api/analytics/funnels",
        headers=owner.headers(),
        json={"steps": ["visit", "signup", "pay"], "windowHours": 1, **window},
    )
    assert funnel.status_code == 200, funnel.text
    assert [(s["event"], s["count"]) for s in funnel.json()["steps"]] == [
        ("visit", 3),
        ("signup", 2),
        ("pay", 1),
    ]
    top = await api.client.get("/api/analytics/events/top", headers=owner.headers(), params=window)
    assert [(e["event"], e["count"]) for e in top.json()["events"]] == [
        ("visit", 3),
        ("signup", 2),
        ("pay", 1),
    ]
    only_app = await api.client.get(
        "/api/analytics/events", headers=owner.headers(), params={"app": app_id, "name": "pay"}
    )
    assert [e["distinctId"] for e in only_app.json()["events"]] == ["u1"]


async def test_retention_over_seeded_events(api, posthog_host, ingest_addr, principal_key) -> None:
    owner = await api.register("retention")
    dsn = await create_dsn(ingest_addr, principal_key, owner)
    d = timedelta(days=1)
    seeded = [
        ("signup", "a", T0), ("signup", "b", T0), ("open", "a", T0 + d), ("open", "b", T0 + 7 * d),
        ("signup", "c", T0 + d), ("open", "c", T0 + 2 * d), ("open", "c", T0 + 31 * d),
    ]  # fmt: skip

    def send() -> None:
        client = Posthog(dsn.public_key, host=posthog_host, flush_at=100, flush_interval=60)
        for name, who, at in seeded:
            client.capture(name, distinct_id=who, timestamp=at)
        client.flush()
        client.shutdown()

    await asyncio.to_thread(send)
    await events_of(api.client, owner, len(seeded))
    daily = await api.client.post(
        "/api/analytics/retention",
        headers=owner.headers(),
        json={
            "period": "day",
            "periods": 2,
            "startEvent": "signup",
            "returnEvent": "open",
            "from": T0.isoformat(),
        },
    )
    assert daily.status_code == 200, daily.text
    assert [(c["start"], c["size"], c["retained"]) for c in daily.json()["cohorts"]] == [
        ("2026-11-02T00:00:00Z", 2, [0, 1]),
        ("2026-11-03T00:00:00Z", 1, [0, 1]),
    ]
    summary = await api.client.post(
        "/api/analytics/retention/summary",
        headers=owner.headers(),
        json={
            "startEvent": "signup",
            "returnEvent": "open",
            "from": T0.isoformat(),
            "to": (T0 + 2 * d).isoformat(),
        },
    )
    body = summary.json()
    assert (body["cohortSize"], body["d1"], body["d7"], body["d30"]) == (3, 2, 1, 1)
    assert body["d1Rate"] == pytest.approx(2 / 3, abs=1e-3)


async def _post(client: Any, path: str, body: bytes, **headers: str) -> Any:
    return await client.post(path, content=body, headers={"Content-Type": "application/json", **headers})


async def test_wire_variants_are_accepted(api, ingest_addr, principal_key) -> None:
    owner = await api.register("wire")
    dsn = await create_dsn(ingest_addr, principal_key, owner)
    one = json.dumps({"api_key": dsn.public_key, "event": "e1", "distinct_id": "w"}).encode()
    batch = json.dumps({"api_key": dsn.public_key, "batch": [{"event": "e2", "distinct_id": "w"}]}).encode()
    token_in_props = json.dumps(
        [{"event": "e3", "properties": {"token": dsn.public_key, "distinct_id": "w"}}]
    )
    replies = [
        await _post(api.client, "/i/v0/e/", one),
        await _post(api.client, "/capture", gzip.compress(batch), **{"Content-Encoding": "gzip"}),
        await _post(api.client, "/e/?compression=gzip-js", gzip.compress(token_in_props.encode())),
        await api.client.post(
            "/batch",
            content=urlencode(
                {"data": base64.b64encode(one.replace(b'"e1"', b'"e4"')), "compression": "base64"}
            ),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
    ]
    assert [(r.status_code, r.json()) for r in replies] == [(200, {"status": 1})] * 4
    events = await events_of(api.client, owner, 4)
    assert sorted(e["event"] for e in events) == ["e1", "e2", "e3", "e4"]


async def test_wrong_key_is_401_bad_body_400_and_other_orgs_see_nothing(
    api, ingest_addr, principal_key
) -> None:
    owner, stranger = await api.register("owner"), await api.register("stranger")
    dsn = await create_dsn(ingest_addr, principal_key, owner)
    wrong = json.dumps({"api_key": "0" * 32, "event": "e", "distinct_id": "x"}).encode()
    assert (await _post(api.client, "/batch/", wrong)).status_code == 401
    missing = json.dumps({"event": "e", "distinct_id": "x"}).encode()
    assert (await _post(api.client, "/batch/", missing)).status_code == 401
    bad = [
        b"{not json",
        json.dumps({"api_key": dsn.public_key, "batch": "x"}).encode(),
        json.dumps({"api_key": dsn.public_key, "event": "", "distinct_id": "x"}).encode(),
        json.dumps({"api_key": dsn.public_key, "event": "e"}).encode(),
    ]
    for body in bad:
        response = await _post(api.client, "/i/v0/e/", body)
        assert response.status_code == 400, body
        assert response.json()["error"]
    ok = json.dumps({"api_key": dsn.public_key, "event": "secret", "distinct_id": "x"}).encode()
    assert (await _post(api.client, "/i/v0/e/", ok)).status_code == 200
    await events_of(api.client, owner, 1)
    theirs = await api.client.get("/api/analytics/events", headers=stranger.headers())
    assert theirs.json() == {"events": []}


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("GET", "/api/analytics/events?limit=0", None, "limit"),
        ("GET", "/api/analytics/events?limit=1001", None, "limit"),
        ("GET", "/api/analytics/events?limit=ten", None, "limit"),
        ("GET", "/api/analytics/events?from=yesterday", None, "from"),
        ("GET", "/api/analytics/events?app=web", None, "app"),
        ("GET", "/api/analytics/events/top?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", None, "from"),
        ("POST", "/api/analytics/funnels", {"steps": ["a"]}, "steps"),
        ("POST", "/api/analytics/funnels", {"steps": ["a", "b"], "windowHours": 0}, "windowHours"),
        ("POST", "/api/analytics/funnels", {"steps": "a,b"}, "steps"),
        ("POST", "/api/analytics/retention", {"period": "hour", "periods": 3}, "period"),
        ("POST", "/api/analytics/retention", {"period": "week", "periods": 53}, "periods"),
        ("POST", "/api/analytics/retention", {"period": "week"}, "periods"),
        ("POST", "/api/analytics/retention/summary", {"from": "soon"}, "from"),
    ],
)
async def test_bad_query_parameters_are_400_naming_them(api, method, path, payload, field) -> None:
    owner = await api.register("params")
    response = await api.client.request(method, path, headers=owner.headers(), json=payload)
    assert response.status_code == 400, response.text
    assert field in response.json()["error"]


async def test_a_thousand_events_sent_while_the_consumer_is_stopped_are_stored_exactly_once(
    api, ingest_server, ingest_addr, principal_key
) -> None:
    owner = await api.register("durable")
    dsn = await create_dsn(ingest_addr, principal_key, owner)
    await ingest_server.analytics.stop()
    try:
        for chunk in range(10):
            batch = [
                {"event": "tick", "distinct_id": f"d{chunk}", "properties": {"i": i}} for i in range(100)
            ]
            body = json.dumps({"api_key": dsn.public_key, "batch": batch}).encode()
            response = await _post(api.client, "/batch/", body)
            assert response.json() == {"status": 1}
    finally:
        await ingest_server.analytics.start()
    events = await events_of(api.client, owner, 1000)
    assert len({e["uuid"] for e in events}) == 1000
    # The list stops at 1000; the count over the window does not.
    top = await api.client.get("/api/analytics/events/top", headers=owner.headers())
    assert top.json()["events"] == [{"event": "tick", "count": 1000, "distinctIds": 10}]


async def test_a_body_over_the_limit_is_413(api, ingest_addr, principal_key) -> None:
    owner = await api.register("big")
    dsn = await create_dsn(ingest_addr, principal_key, owner)
    huge = {
        "api_key": dsn.public_key,
        "event": "e",
        "distinct_id": "x",
        "properties": {"pad": "x" * 1_100_000},
    }
    response = await _post(api.client, "/batch/", json.dumps(huge).encode())
    assert response.status_code == 413
