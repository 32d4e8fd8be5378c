"""Provider routing through the gateway (Rensei §2.5): select, feedback and the public metrics view.

Real identity and workers behind in-process gateways: the default workers service has the kill switch off;
a second one (same stores) with WORKERS_ROUTING_SELECTOR_ENABLED on sits behind its own gateway.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from switchyard.gateway.config import Settings as GatewaySettings

pytestmark = pytest.mark.integration

POSTERIOR_KEYS = {
    "provider",
    "workType",
    "alpha",
    "beta",
    "expectedReward",
    "confidence",
    "totalObservations",
    "avgCostUsd",
}
DECISION_KEYS = {
    "id",
    "sessionId",
    "workType",
    "candidates",
    "selectedProvider",
    "source",
    "expectedReward",
    "createdAt",
}


@pytest.fixture(scope="module")
async def routed(  # type: ignore[no-untyped-def]
    start_workers,
    workers_settings_values,
    serve_gateway,
    identity_addr,
    redis_url,
    principal_key,
    fleet_addrs,
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway in front of a workers replica with the routing selector enabled."""
    server = await start_workers({**workers_settings_values, "routing_selector_enabled": True})
    try:
        settings = GatewaySettings(
            identity_addr=identity_addr,
            redis_url=redis_url,
            principal_key=principal_key,
            auth_rate_limit_per_minute=100_000,
            **{**fleet_addrs, "workers_addr": server.address},
        )
        async with serve_gateway(settings) as client:
            yield client
    finally:
        await server.stop()


async def _claimed(fleet, org=None) -> tuple[Any, Any, str]:  # type: ignore[no-untyped-def]
    org = org or await fleet.org("routing")
    session = await fleet.queue(org)
    worker = await fleet.register(org, capacity=2)
    polled = await fleet.client.get(f"/api/workers/{worker.id}/poll", headers=worker.headers)
    assert polled.json()["claimedSessionIds"] == [session["linearSessionId"]]
    return org, worker, session["linearSessionId"]


def _key(org) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {org.key}"}


async def _select(client, session_id, headers, *candidates, work_type="development") -> httpx.Response:  # type: ignore[no-untyped-def]
    return await client.post(
        f"/api/sessions/{session_id}/routing-select",
        headers=headers,
        json={"workType": work_type, "candidates": list(candidates)},
    )


async def _feedback(client, session_id, headers, **body) -> httpx.Response:  # type: ignore[no-untyped-def]
    payload = {"provider": "claude", "workType": "development", "reward": 1.0, **body}
    return await client.post(f"/api/sessions/{session_id}/routing-feedback", headers=headers, json=payload)


async def test_the_kill_switch_answers_disabled(fleet) -> None:
    _, worker, session_id = await _claimed(fleet)
    answer = await _select(fleet.client, session_id, worker.headers, "claude", "codex")
    assert (answer.status_code, answer.json()) == (
        200,
        {"selectedProvider": None, "source": "disabled", "expectedReward": 0.0, "confidence": 0.0},
    )


async def test_selection_learns_from_feedback(fleet, routed) -> None:
    _, worker, session_id = await _claimed(fleet)
    explicit = await _select(routed, session_id, worker.headers, "claude")
    assert (explicit.status_code, explicit.json()) == (
        200,
        {"selectedProvider": "claude", "source": "explicit", "expectedReward": 0.5, "confidence": 0.0},
    )
    for _ in range(12):
        good = await _feedback(
            routed, session_id, worker.headers, provider="claude", reward=1, totalCostUsd=0.5
        )
        bad = await _feedback(
            routed, session_id, worker.headers, provider="codex", reward=0, workerId=worker.id
        )
        assert (good.status_code, good.json(), bad.json()) == (200, {"recorded": True}, {"recorded": True})
    picks = Counter()
    for _ in range(20):
        answer = await _select(routed, session_id, worker.headers, "codex", "claude")
        assert (answer.status_code, answer.json()["source"]) == (200, "thompson")
        picks[answer.json()["selectedProvider"]] += 1
    assert picks["claude"] >= 18


async def test_bad_input_is_400_naming_the_field(fleet, routed) -> None:
    _, worker, session_id = await _claimed(fleet)
    url = f"/api/sessions/{session_id}/routing-select"
    for body, named in (
        ({"candidates": ["a", "b"]}, "workType is required"),
        ({"workType": "qa"}, "candidates is required"),
        ({"workType": "qa", "candidates": []}, "candidates"),
        ({"workType": "qa", "candidates": ["a", ""]}, "candidates"),
        ({"workType": "qa", "candidates": [f"p{i}" for i in range(21)]}, "candidates"),
        ({"workType": "qa", "candidates": [1, 2]}, "candidates"),
        ({"workType": "", "candidates": ["a"]}, "workType is required"),
    ):
        answer = await routed.post(url, headers=worker.headers, json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert named in answer.json()["error"], (body, answer.text)
    for body, named in (
        ({"reward": None}, "reward"),
        ({"reward": 1.5}, "reward must be between 0 and 1"),
        ({"reward": -0.5}, "reward must be between 0 and 1"),
        ({"reward": "high"}, "reward must be a number"),
        ({"provider": ""}, "provider is required"),
        ({"workType": None}, "workType"),
    ):
        answer = await _feedback(routed, session_id, worker.headers, **body)
        assert answer.status_code == 400, (body, answer.text)
        assert named in answer.json()["error"], (body, answer.text)
    missing = await routed.post(
        f"/api/sessions/{session_id}/routing-feedback", headers=worker.headers, json={"provider": "claude"}
    )
    assert (missing.status_code, missing.json()["error"]) == (400, "workType is required")


async def test_callers_of_select_and_feedback(api, fleet, routed) -> None:
    org, worker, session_id = await _claimed(fleet)
    # The org's key and its owner (X-Tenant-ID) may route the session too.
    assert (await _select(routed, session_id, _key(org), "a", "b")).json()["source"] == "thompson"
    owner = org.owner.headers(org.id)
    assert (await _select(routed, session_id, owner, "a", "b")).status_code == 200
    assert (await _feedback(routed, session_id, owner)).json() == {"recorded": True}
    intruder = await fleet.register(org)
    denied = await _select(routed, session_id, intruder.headers, "a", "b")
    assert (denied.status_code, denied.json()) == (403, {"error": "Session is owned by another worker"})
    other = await fleet.org("routing-other")
    stranger = await fleet.register(other)
    for headers in (_key(other), stranger.headers, other.owner.headers(other.id)):
        for answer in (
            await _select(routed, session_id, headers, "a", "b"),
            await _feedback(routed, session_id, headers),
        ):
            assert (answer.status_code, answer.json()) == (404, {"error": "Session not found"})
    unknown = await _select(routed, "no-such-session", worker.headers, "a", "b")
    assert unknown.status_code == 404
    anonymous = await routed.post(
        f"/api/sessions/{session_id}/routing-select", json={"workType": "qa", "candidates": ["a"]}
    )
    assert anonymous.status_code == 401


async def test_a_store_error_still_answers_200_recorded_false(fleet, routed, api_database_url) -> None:
    _, worker, session_id = await _claimed(fleet)
    probe = f"probe-{uuid.uuid4().hex[:8]}"
    url = make_url(api_database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    db = await asyncpg.connect(url)
    try:
        # A real PostgreSQL failure for this provider only: a trigger raising on its posterior upsert.
        await db.execute(
            "CREATE OR REPLACE FUNCTION workers.api_routing_probe() RETURNS trigger AS $$"
            f" BEGIN IF NEW.provider = '{probe}' THEN RAISE EXCEPTION 'simulated store failure'; END IF;"
            " RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        await db.execute(
            "CREATE TRIGGER api_routing_probe BEFORE INSERT ON workers.routing_posteriors"
            " FOR EACH ROW EXECUTE FUNCTION workers.api_routing_probe()"
        )
        try:
            failed = await _feedback(routed, session_id, worker.headers, provider=probe)
        finally:
            await db.execute("DROP TRIGGER api_routing_probe ON workers.routing_posteriors")
            await db.execute("DROP FUNCTION workers.api_routing_probe()")
    finally:
        await db.close()
    assert (failed.status_code, failed.json()) == (200, {"recorded": False})
    assert (await _feedback(routed, session_id, worker.headers, provider=probe)).json() == {"recorded": True}


async def test_metrics_are_org_scoped_and_paged(fleet, routed) -> None:
    org, worker, session_id = await _claimed(fleet)
    await asyncio.gather(
        *(_feedback(routed, session_id, worker.headers, reward=r, totalCostUsd=1.5) for r in (1, 1, 0, 0.5))
    )
    for _ in range(3):
        await _select(routed, session_id, worker.headers, "claude", "codex")
    await _select(routed, session_id, worker.headers, "claude")

    url = "/api/public/routing-metrics"
    first = await routed.get(url, headers=_key(org), params={"limit": 3})
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) == {"posteriors", "recentDecisions", "nextCursor", "summary", "timestamp"}
    [posterior] = body["posteriors"]
    assert set(posterior) == POSTERIOR_KEYS
    assert (posterior["provider"], posterior["alpha"], posterior["beta"]) == ("claude", 3.5, 2.5)
    assert (posterior["totalObservations"], posterior["avgCostUsd"]) == (4, 1.5)
    assert posterior["expectedReward"] == pytest.approx(3.5 / 6)
    assert [set(d) for d in body["recentDecisions"]] == [DECISION_KEYS] * 3
    newest = body["recentDecisions"][0]
    assert (newest["sessionId"], newest["candidates"], newest["source"]) == (
        session_id,
        ["claude"],
        "explicit",
    )
    assert newest["createdAt"].endswith("Z")
    assert body["summary"]["routingEnabled"] is True
    assert (body["summary"]["totalDecisions"], body["summary"]["totalObservations"]) == (4, 4)
    assert 0 <= body["summary"]["explorationRate"] <= 1
    assert body["nextCursor"]

    # An org member with X-Tenant-ID reads the same view; the last page has no cursor.
    rest = await routed.get(
        url, headers=org.owner.headers(org.id), params={"limit": 3, "cursor": body["nextCursor"]}
    )
    assert rest.status_code == 200, rest.text
    assert len(rest.json()["recentDecisions"]) == 1
    assert rest.json()["nextCursor"] is None

    other = await fleet.org("metrics-other")
    theirs = (await routed.get(url, headers=_key(other))).json()
    assert (theirs["posteriors"], theirs["recentDecisions"], theirs["summary"]["totalDecisions"]) == (
        [],
        [],
        0,
    )
    # The default workers service reports the kill switch off.
    assert (await fleet.client.get(url, headers=_key(org))).json()["summary"]["routingEnabled"] is False

    for params, named in (({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"cursor": "x"}, "cursor")):
        bad = await routed.get(url, headers=_key(org), params=params)
        assert (bad.status_code, named in bad.json()["error"]) == (400, True)
    assert (await routed.get(url)).status_code == 401
    assert (await routed.get(url, headers=worker.headers)).status_code == 401
