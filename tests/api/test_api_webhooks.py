"""Webhook ingest through the gateway: HMAC verification, duplicate detection, work queued in workers.

Each test runs a gateway whose Linear (and, where said, GitHub) deliveries queue work for a fresh org,
against the real workers service; the work is read back through session status and a worker's poll.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from switchyard.gateway.config import Settings as GatewaySettings

pytestmark = pytest.mark.integration

LINEAR_SECRET = "linear-webhook-secret"
GITHUB_SECRET = "github-webhook-secret"


def _sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _linear_event(*, action: str = "create", kind: str = "Issue", **data: Any) -> dict[str, Any]:
    issue = {
        "id": str(uuid.uuid4()),
        "identifier": "ENG-42",
        "title": "Fix the login page",
        "description": "It crashes on submit.",
        "priority": 2,
        "url": "https://linear.app/acme/issue/ENG-42",
        **data,
    }
    return {"action": action, "type": kind, "data": issue, "organizationId": "lin-org"}


def _github_event(*, action: str = "opened", number: int = 42) -> dict[str, Any]:
    return {
        "action": action,
        "issue": {
            "id": 1_000_000 + number,
            "node_id": f"I_kw{uuid.uuid4().hex[:12]}",
            "number": number,
            "title": "Flaky test in CI",
            "body": "test_x fails one run in ten.",
            "html_url": f"https://github.com/acme/app/issues/{number}",
            "labels": [{"name": "agent"}],
        },
        "label": {"name": "agent"},
        "repository": {"full_name": "acme/app", "html_url": "https://github.com/acme/app"},
    }


class Hooks:
    """A gateway whose webhook deliveries queue work for ``org``."""

    def __init__(self, client: httpx.AsyncClient, org: Any) -> None:
        self.client = client
        self.org = org

    async def linear(
        self,
        event: Any,
        *,
        delivery: str | None = "",
        secret: str = LINEAR_SECRET,
        header: str = "linear-signature",
    ) -> httpx.Response:
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        headers = {"Content-Type": "application/json", header: _sign(secret, body)}
        if delivery is not None:
            headers["linear-delivery"] = delivery or str(uuid.uuid4())
        return await self.client.post("/api/webhooks/ingest/linear", content=body, headers=headers)

    async def github(
        self, event: dict[str, Any], *, kind: str = "issues", delivery: str = "", signature: str | None = None
    ) -> httpx.Response:
        body = json.dumps(event).encode()
        headers = {
            "Content-Type": "application/json",
            "x-github-event": kind,
            "x-github-delivery": delivery or str(uuid.uuid4()),
            "x-hub-signature-256": signature or f"sha256={_sign(GITHUB_SECRET, body)}",
        }
        return await self.client.post("/api/webhooks/ingest/github", content=body, headers=headers)


def _settings(
    identity_addr: str, redis_url: str, principal_key: bytes, fleet_addrs: dict[str, str], **extra: Any
) -> GatewaySettings:
    return GatewaySettings(
        identity_addr=identity_addr,
        redis_url=redis_url,
        principal_key=principal_key,
        **fleet_addrs,
        **extra,
    )


@pytest.fixture
async def hooks(
    fleet,
    serve_gateway,
    identity_addr: str,
    redis_url: str,
    principal_key: bytes,
    fleet_addrs: dict[str, str],
) -> AsyncIterator[Hooks]:
    """Linear and GitHub both configured for a fresh org."""
    org = await fleet.org("hooks")
    settings = _settings(
        identity_addr,
        redis_url,
        principal_key,
        fleet_addrs,
        webhook_secret_linear=LINEAR_SECRET,
        webhook_org_linear=org.id,
        webhook_secret_github=GITHUB_SECRET,
        webhook_org_github=org.id,
    )
    async with serve_gateway(settings) as client:
        yield Hooks(client, org)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


async def _poll(fleet, worker) -> list[dict[str, Any]]:
    response = await fleet.client.get(f"/api/workers/{worker.id}/poll", headers=worker.headers)
    assert response.status_code == 200, response.text
    work: list[dict[str, Any]] = response.json()["work"]
    return work


async def _status(fleet, org, session_id: str) -> dict[str, Any]:
    response = await fleet.client.get(f"/api/sessions/{session_id}/status", headers=fleet.api.bearer(org.key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_linear_issue_create_queues_work_for_the_configured_org(hooks, fleet) -> None:
    event = _linear_event()
    delivery = str(uuid.uuid4())
    response = await hooks.linear(event, delivery=delivery)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["ok"], body["eventId"], body["correlationId"]) == (
        True,
        delivery,
        response.headers["X-Request-ID"],
    )
    assert "duplicate" not in body
    assert "ignored" not in body

    status = await _status(fleet, hooks.org, body["sessionId"])
    assert (status["status"], status["organizationId"], status["priority"]) == ("pending", hooks.org.id, 2)
    assert (status["issueId"], status["issueIdentifier"]) == (event["data"]["id"], "ENG-42")

    # The docs' header name is accepted too.
    other = await hooks.linear(_linear_event(priority=0), header="x-linear-signature")
    assert other.status_code == 200, other.text

    worker = await fleet.register(hooks.org, capacity=5)
    work = {item["sessionId"]: item for item in await _poll(fleet, worker)}
    assert set(work) == {body["sessionId"], other.json()["sessionId"]}
    first = work[body["sessionId"]]
    assert (first["issueId"], first["issueIdentifier"], first["workType"]) == (
        event["data"]["id"],
        "ENG-42",
        "development",
    )
    assert (first["title"], first["description"], first["url"]) == (
        "Fix the login page",
        "It crashes on submit.",
        "https://linear.app/acme/issue/ENG-42",
    )
    assert first["webhook"] == {
        "provider": "linear",
        "event": "Issue",
        "action": "create",
        "deliveryId": delivery,
    }
    assert work[other.json()["sessionId"]]["priority"] == 3  # Linear "no priority" takes the default


async def test_github_issue_opened_and_labeled_queue_work_with_the_repository(hooks, fleet) -> None:
    opened = await hooks.github(_github_event(action="opened", number=7))
    labeled = await hooks.github(_github_event(action="labeled", number=8))
    assert (opened.status_code, labeled.status_code) == (200, 200), (opened.text, labeled.text)

    status = await _status(fleet, hooks.org, opened.json()["sessionId"])
    assert (status["issueIdentifier"], status["repository"], status["status"]) == (
        "acme/app#7",
        "https://github.com/acme/app",
        "pending",
    )
    assert status["issueId"].startswith("I_kw")

    worker = await fleet.register(hooks.org, capacity=5)
    work = {item["sessionId"]: item for item in await _poll(fleet, worker)}
    assert set(work) == {opened.json()["sessionId"], labeled.json()["sessionId"]}
    item = work[labeled.json()["sessionId"]]
    assert (item["issueIdentifier"], item["title"], item["labels"], item["label"]) == (
        "acme/app#8",
        "Flaky test in CI",
        ["agent"],
        "agent",
    )
    assert item["webhook"]["action"] == "labeled"


async def test_a_redelivery_is_acknowledged_as_duplicate_and_queued_once(hooks, fleet, redis) -> None:
    event = _linear_event()
    delivery = str(uuid.uuid4())
    first = await hooks.linear(event, delivery=delivery)
    again = await hooks.linear(event, delivery=delivery)
    assert first.status_code == 200, first.text
    assert (again.status_code, again.json()) == (200, {"ok": True, "duplicate": True})
    assert await redis.ttl(f"gw:webhook:linear:{delivery}") > 6 * 24 * 3600

    # Without a delivery id the body's SHA-256 is the id: the same bytes are the same delivery.
    anonymous = json.dumps(_linear_event()).encode()
    hashed = await hooks.linear(anonymous, delivery=None)
    assert hashed.json()["eventId"] == hashlib.sha256(anonymous).hexdigest()
    assert (await hooks.linear(anonymous, delivery=None)).json() == {"ok": True, "duplicate": True}

    # With the Redis mark gone, the session id derived from the delivery still refuses a second queueing.
    await redis.delete(f"gw:webhook:linear:{delivery}")
    assert (await hooks.linear(event, delivery=delivery)).json() == {"ok": True, "duplicate": True}

    worker = await fleet.register(hooks.org, capacity=5)
    polled = [item["sessionId"] for item in await _poll(fleet, worker)]
    assert sorted(polled) == sorted([first.json()["sessionId"], hashed.json()["sessionId"]])
    assert await _poll(fleet, worker) == []


async def test_missing_or_bad_signatures_are_401_and_remember_nothing(hooks) -> None:
    event = _linear_event()
    body = json.dumps(event).encode()
    delivery = str(uuid.uuid4())
    missing = await hooks.client.post(
        "/api/webhooks/ingest/linear", content=body, headers={"linear-delivery": delivery}
    )
    assert (missing.status_code, missing.json()) == (401, {"error": "missing webhook signature"})
    wrong_secret = await hooks.linear(event, delivery=delivery, secret="not-the-secret")
    assert (wrong_secret.status_code, wrong_secret.json()) == (401, {"error": "invalid webhook signature"})
    tampered = await hooks.client.post(
        "/api/webhooks/ingest/linear",
        content=body.replace(b"ENG-42", b"ENG-43"),
        headers={"linear-signature": _sign(LINEAR_SECRET, body), "linear-delivery": delivery},
    )
    assert tampered.status_code == 401
    not_hex = await hooks.client.post(
        "/api/webhooks/ingest/linear", content=body, headers={"linear-signature": "zz" * 32}
    )
    assert not_hex.status_code == 401

    github = _github_event()
    raw = json.dumps(github).encode()
    bare_hex = await hooks.github(github, signature=_sign(GITHUB_SECRET, raw))  # no "sha256=" prefix
    assert (bare_hex.status_code, bare_hex.json()) == (401, {"error": "missing webhook signature"})
    other_secret = await hooks.github(github, signature=f"sha256={_sign(LINEAR_SECRET, raw)}")
    assert other_secret.status_code == 401

    # None of the refused attempts marked the delivery: the genuine one is queued.
    genuine = await hooks.linear(event, delivery=delivery)
    assert genuine.status_code == 200
    assert genuine.json()["sessionId"]


async def test_unknown_and_unconfigured_providers_are_404(
    fleet,
    serve_gateway,
    identity_addr: str,
    redis_url: str,
    principal_key: bytes,
    fleet_addrs: dict[str, str],
) -> None:
    org = await fleet.org("hooks-linear-only")
    settings = _settings(
        identity_addr,
        redis_url,
        principal_key,
        fleet_addrs,
        webhook_secret_linear=LINEAR_SECRET,
        webhook_org_linear=org.id,
        webhook_secret_github=GITHUB_SECRET,  # a secret without an org is not a configured provider
    )
    async with serve_gateway(settings) as client:
        hooks = Hooks(client, org)
        github = await hooks.github(_github_event())
        assert (github.status_code, github.json()) == (404, {"error": "webhook provider not configured"})
        vercel = await client.post(
            "/api/webhooks/ingest/vercel", json={}, headers={"x-vercel-signature": "00"}
        )
        assert (vercel.status_code, vercel.json()) == (404, {"error": "unknown webhook provider"})
        assert (await hooks.linear(_linear_event())).status_code == 200
    unconfigured = await fleet.client.post(
        "/api/webhooks/ingest/linear", json=_linear_event(), headers={"linear-signature": "00"}
    )
    assert (unconfigured.status_code, unconfigured.json()) == (
        404,
        {"error": "webhook provider not configured"},
    )


async def test_other_events_are_acknowledged_and_not_queued(hooks, fleet) -> None:
    answers = [
        await hooks.linear(_linear_event(kind="Comment")),
        await hooks.linear(_linear_event(action="update")),
        await hooks.github(_github_event(action="closed")),
        await hooks.github({"zen": "Keep it logically awesome.", "hook_id": 1}, kind="ping"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["ok"], body["ignored"]) == (True, True)
        assert body["eventId"]
        assert body["correlationId"]
        assert "sessionId" not in body
    worker = await fleet.register(hooks.org, capacity=5)
    assert await _poll(fleet, worker) == []


async def test_malformed_bodies_are_400_and_remember_nothing(hooks) -> None:
    delivery = str(uuid.uuid4())
    broken = await hooks.linear(b'{"type": "Issue", ', delivery=delivery)
    assert (broken.status_code, broken.json()) == (400, {"error": "invalid JSON body"})
    listed = await hooks.linear(b"[1, 2]", delivery=delivery)
    assert (listed.status_code, listed.json()) == (400, {"error": "request body must be a JSON object"})
    no_id = _linear_event()
    del no_id["data"]["id"]
    missing_id = await hooks.linear(no_id, delivery=delivery)
    assert (missing_id.status_code, missing_id.json()) == (400, {"error": "data.id is required"})
    no_repo = _github_event()
    del no_repo["repository"]
    repo = await hooks.github(no_repo)
    assert (repo.status_code, repo.json()) == (400, {"error": "repository must be an object"})
    bad_delivery = await hooks.linear(_linear_event(), delivery="not a delivery id!")
    assert (bad_delivery.status_code, bad_delivery.json()) == (
        400,
        {"error": "linear-delivery header is invalid"},
    )
    too_big = await hooks.linear(b" " * (2 * 1024 * 1024), delivery=delivery)
    assert too_big.status_code == 413

    assert "sessionId" in (await hooks.linear(_linear_event(), delivery=delivery)).json()


async def test_webhooks_do_not_bump_the_auth_epoch(hooks, redis) -> None:
    before = await redis.get("gw:epoch")
    for _ in range(3):
        assert (await hooks.linear(_linear_event())).status_code == 200
    assert await redis.get("gw:epoch") == before
