"""Service metrics through the gateway: push keys minted, listed and revoked by operators (the raw key shown
once), pushes authenticated by ``Authorization: Bearer <key>`` and answered after the JetStream ack, and
bucketed per-instance range queries. A revoked key is 401 on the next push; another org's service is 404."""

from __future__ import annotations

import asyncio
import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from switchyard.gateway.config import Settings as GatewaySettings
from switchyard.testing import eventually as until

pytestmark = pytest.mark.integration


async def _key(api, owner) -> dict[str, Any]:
    response = await api.client.post(
        "/api/metrics/keys", headers=owner.headers(), json={"name": "node-exporter"}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _push_headers(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


async def test_push_single_and_batch_then_query_the_range(api) -> None:
    owner = await api.register("metrics")
    created = await _key(api, owner)
    raw = created["rawKey"]
    assert created["key"]["prefix"] == raw[:12]
    listed = await api.client.get("/api/metrics/keys", headers=owner.headers())
    assert [k["id"] for k in listed.json()["keys"]] == [created["key"]["id"]]
    assert raw not in listed.text

    earlier = (datetime.now(UTC) - timedelta(minutes=2)).isoformat()
    one = await api.client.post(
        "/api/services/pg-main/metrics",
        headers=_push_headers(raw),
        json={"name": "pg.connections", "value": 10, "instance": "primary", "timestamp": earlier},
    )
    assert one.status_code == 202, one.text
    assert one.json() == {"accepted": 1}
    batch = {
        "metrics": [
            {"name": "pg.connections", "value": 20, "instance": "primary", "timestamp": earlier},
            {"name": "pg.connections", "value": 5, "instance": "replica", "labels": {"zone": "b"}},
        ]
    }
    two = await api.client.post("/api/services/pg-main/metrics", headers=_push_headers(raw), json=batch)
    assert two.json() == {"accepted": 2}

    async def probe() -> dict[str, Any] | None:
        response = await api.client.get("/api/services/pg-main/metrics?range=6h", headers=owner.headers())
        if response.status_code != 200:
            return None
        body: dict[str, Any] = response.json()
        return body if sum(p["samples"] for s in body["series"] for p in s["points"]) == 3 else None

    body = await until(probe)
    assert body is not None
    assert body["bucketSeconds"] == 300
    series = {s["instance"]: s["points"] for s in body["series"]}
    assert set(series) == {"primary", "replica"}
    assert [(p["samples"], p["value"]) for p in series["primary"]] == [(2, 15.0)]


async def test_revoked_key_is_401_on_the_next_push(api) -> None:
    owner = await api.register("metrics")
    created = await _key(api, owner)
    raw, key_id = created["rawKey"], created["key"]["id"]
    ok = await api.client.post(
        "/api/services/s1/metrics", headers=_push_headers(raw), json={"name": "up", "value": 1}
    )
    assert ok.status_code == 202
    revoked = await api.client.delete(f"/api/metrics/keys/{key_id}", headers=owner.headers())
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revokedAt"]
    again = await api.client.post(
        "/api/services/s1/metrics", headers=_push_headers(raw), json={"name": "up", "value": 1}
    )
    assert again.status_code == 401
    missing = await api.client.post("/api/services/s1/metrics", json={"name": "up", "value": 1})
    assert missing.status_code == 401
    assert "error" in missing.json()


async def test_other_orgs_see_404(api) -> None:
    owner, stranger = await api.register("metrics"), await api.register("stranger")
    created = await _key(api, owner)
    pushed = await api.client.post(
        "/api/services/private-db/metrics",
        headers=_push_headers(created["rawKey"]),
        json={"name": "up", "value": 1},
    )
    assert pushed.status_code == 202

    async def visible() -> bool:
        response = await api.client.get("/api/services/private-db/metrics", headers=owner.headers())
        return response.status_code == 200

    assert await until(visible)
    theirs = await api.client.get("/api/services/private-db/metrics", headers=stranger.headers())
    assert theirs.status_code == 404
    revoke = await api.client.delete(f"/api/metrics/keys/{created['key']['id']}", headers=stranger.headers())
    assert revoke.status_code == 404
    assert (await api.client.get("/api/metrics/keys", headers=stranger.headers())).json() == {"keys": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "value": 1}, "name"),
        ({"name": "up", "value": "high"}, "value"),
        ({"name": "up", "value": 1, "timestamp": "12:00"}, "timestamp"),
        ({"name": "up", "value": 1, "labels": ["a"]}, "labels"),
        ({"metrics": [{"name": "up", "value": 1}] * 1001}, "metrics"),
        ({"metrics": [{"name": "up", "value": 1}, {"value": 2}]}, "metrics[1].name"),
    ],
)
async def test_bad_push_bodies_are_400_naming_the_field(api, body, field) -> None:
    owner = await api.register("metrics")
    raw = (await _key(api, owner))["rawKey"]
    response = await api.client.post("/api/services/svc/metrics", headers=_push_headers(raw), json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(field)


async def test_bad_query_parameters_are_400(api) -> None:
    owner = await api.register("metrics")
    response = await api.client.get("/api/services/svc/metrics?range=2d", headers=owner.headers())
    assert response.status_code == 400
    assert "range" in response.json()["error"]
    created = await api.client.post("/api/metrics/keys", headers=owner.headers(), json={"name": ""})
    assert created.status_code == 400
    assert "name" in created.json()["error"]


async def test_pushes_are_rate_limited_per_key_size_capped_and_may_be_gzipped(
    api, identity_addr: str, redis_url: str, principal_key: bytes, fleet_addrs: dict[str, str], serve_gateway
) -> None:
    owner = await api.register("metrics")
    raw = (await _key(api, owner))["rawKey"]
    point = {"name": "queue.depth", "value": 1}
    gzipped = await api.client.post(
        "/api/services/worker/metrics",
        headers={**_push_headers(raw), "Content-Encoding": "gzip", "Content-Type": "application/json"},
        content=gzip.compress(json.dumps(point).encode()),
    )
    assert gzipped.status_code == 202, gzipped.text
    huge = {"metrics": [{"name": "x", "value": 1, "labels": {"pad": "p" * 900}}] * 1200}
    too_big = await api.client.post("/api/services/worker/metrics", headers=_push_headers(raw), json=huge)
    assert too_big.status_code == 413
    assert too_big.json()["error"]

    settings = GatewaySettings(
        identity_addr=identity_addr,
        redis_url=redis_url,
        principal_key=principal_key,
        ingest_rate_limit_per_second=2,
        **fleet_addrs,
    )
    # A key of its own: the pushes above counted in the first key's bucket for this second.
    limited = (await _key(api, owner))["rawKey"]
    async with serve_gateway(settings) as client:
        # At once: six requests cannot spread over enough seconds to stay within 2 per second.
        answers = await asyncio.gather(
            *(
                client.post("/api/services/worker/metrics", headers=_push_headers(limited), json=point)
                for _ in range(6)
            )
        )
        # Another key has its own bucket.
        other = (await _key(api, owner))["rawKey"]
        fresh = await client.post("/api/services/worker/metrics", headers=_push_headers(other), json=point)
    codes = [a.status_code for a in answers]
    assert set(codes) == {202, 429}, codes
    assert next(a for a in answers if a.status_code == 429).headers["Retry-After"] == "1"
    assert fresh.status_code == 202, fresh.text
