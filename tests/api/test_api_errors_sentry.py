"""Sentry ingest through the gateway with the unmodified ``sentry-sdk``: DSNs, the envelope and store doors,
keys, encodings, limits, and durability across a stopped consumer (real identity, ingest, PostgreSQL,
Redis and NATS JetStream).

The SDK runs in a subprocess (a small app with a handled and an unhandled exception), so these tests
serve a gateway with uvicorn on a real loopback port.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from switchyard.gateway.app import create_app
from switchyard.gateway.config import Settings as GatewaySettings
from switchyard.testing import free_port

pytestmark = pytest.mark.integration

APP = textwrap.dedent(
    """
    import sys

    import sentry_sdk

    sentry_sdk.init(dsn=sys.argv[1], release="shop@1.0.0", environment="test")


    def work(order):
        raise ValueError(f"order {order} failed")


    def handle(order):
        work(order)


    try:
        handle(41)
    except ValueError as exc:
        sentry_sdk.capture_exception(exc)
    handle(42)
    """
)


@pytest.fixture(scope="module")
async def sentry_http(
    identity_addr: str, redis_url: str, principal_key: bytes, fleet_addrs: dict[str, str]
) -> AsyncIterator[str]:
    """The base URL of a gateway on a real loopback port (the SDK in a subprocess sends to it)."""
    settings = GatewaySettings(
        identity_addr=identity_addr, redis_url=redis_url, principal_key=principal_key, **fleet_addrs
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not serving.done(), serving.result()
            await asyncio.sleep(0.02)
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


async def make_dsn(api: Any, owner: Any, name: str = "web") -> dict[str, Any]:
    """POST /api/errors/dsns as ``owner``."""
    made = await api.client.post("/api/errors/dsns", headers=owner.headers(), json={"name": name})
    assert made.status_code == 201, made.text
    dsn: dict[str, Any] = made.json()["dsn"]
    return dsn


def auth(dsn: dict[str, Any]) -> dict[str, str]:
    """The X-Sentry-Auth header an SDK sends."""
    return {
        "X-Sentry-Auth": f"Sentry sentry_version=7, sentry_client=test/1.0, sentry_key={dsn['publicKey']}"
    }


def event(event_id: str | None = None, *, function: str = "work", value: str = "boom") -> dict[str, Any]:
    """A Python error event as sentry-python shapes it."""
    frames = [
        {"filename": "app.py", "module": "app", "function": f, "lineno": n, "in_app": True}
        for n, f in enumerate(["main", function], 1)
    ]
    return {
        "event_id": event_id or uuid.uuid4().hex,
        "platform": "python",
        "level": "error",
        "exception": {"values": [{"type": "KeyError", "value": value, "stacktrace": {"frames": frames}}]},
    }


def envelope(payload: dict[str, Any]) -> bytes:
    """An envelope with one event item."""
    body = json.dumps(payload).encode()
    header = {"event_id": payload["event_id"], "sent_at": "2026-12-01T10:00:00Z"}
    return b"\n".join(
        [json.dumps(header).encode(), json.dumps({"type": "event", "length": len(body)}).encode(), body]
    )


async def groups_of(api: Any, owner: Any, *, total: int, within: float = 30.0) -> list[dict[str, Any]]:
    """The org's error groups once they hold ``total`` events (polled; fails after ``within`` seconds)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        listed = await api.client.get("/api/errors/groups", headers=owner.headers())
        assert listed.status_code == 200, listed.text
        groups: list[dict[str, Any]] = listed.json()["groups"]
        if sum(g["eventCount"] for g in groups) >= total or asyncio.get_running_loop().time() > deadline:
            return groups
        await asyncio.sleep(0.1)


async def test_a_dsn_is_a_full_sentry_dsn_listed_and_deleted_per_tenant(api) -> None:
    owner, stranger = await api.register("dsn"), await api.register("dsn-other")
    dsn = await make_dsn(api, owner)
    assert dsn["dsn"] == f"http://{dsn['publicKey']}@gateway.test/{dsn['projectId']}"
    assert len(dsn["publicKey"]) == 32

    listed = (await api.client.get("/api/errors/dsns", headers=owner.headers())).json()["dsns"]
    assert [d["id"] for d in listed] == [dsn["id"]]
    assert (await api.client.get("/api/errors/dsns", headers=stranger.headers())).json()["dsns"] == []
    foreign = await api.client.delete(f"/api/errors/dsns/{dsn['id']}", headers=stranger.headers())
    assert foreign.status_code == 404
    bad = await api.client.post("/api/errors/dsns", headers=owner.headers(), json={"name": ""})
    assert bad.status_code == 400
    assert "name" in bad.json()["error"]

    gone = await api.client.delete(f"/api/errors/dsns/{dsn['id']}", headers=owner.headers())
    assert gone.json() == {"deleted": True}


async def test_sentry_sdk_handled_and_unhandled_exceptions_land_in_one_group_with_their_stack(
    api, sentry_http: str, tmp_path: Path
) -> None:
    owner = await api.register("sdk")
    dsn = await make_dsn(api, owner)
    (tmp_path / "shop.py").write_text(APP)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "shop.py",
        f"http://{dsn['publicKey']}@{sentry_http}/{dsn['projectId']}",
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 1, output.decode()  # the unhandled exception ends the app

    groups = await groups_of(api, owner, total=2)
    assert [(g["title"], g["eventCount"]) for g in groups] == [("ValueError: order 41 failed", 2)], (
        output.decode()
    )
    assert groups[0]["culprit"] == "__main__ in work"
    events = (
        await api.client.get(f"/api/errors/groups/{groups[0]['id']}/events", headers=owner.headers())
    ).json()
    assert sorted(e["exceptions"][-1]["value"] for e in events["events"]) == [
        "order 41 failed",
        "order 42 failed",
    ]
    for stored in events["events"]:
        frames = stored["exceptions"][-1]["frames"]
        assert [f["function"] for f in frames] == ["<module>", "handle", "work"]
        assert frames[-1]["contextLine"].strip() == 'raise ValueError(f"order {order} failed")'
        assert (stored["release"], stored["environment"], stored["platform"]) == (
            "shop@1.0.0",
            "test",
            "python",
        )


async def test_a_wrong_missing_or_foreign_project_key_is_401(api) -> None:
    owner = await api.register("keys")
    dsn, other = await make_dsn(api, owner), await make_dsn(api, owner, "other")
    body = envelope(event())
    path = f"/api/{dsn['projectId']}/envelope/"

    wrong = await api.client.post(path, content=body, headers=auth({"publicKey": uuid.uuid4().hex}))
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "invalid DSN key"}
    assert (await api.client.post(path, content=body)).status_code == 401
    assert (await api.client.post(path, content=body, headers=auth(other))).status_code == 401
    ok = await api.client.post(path, content=body, headers=auth(dsn))
    assert ok.status_code == 200, ok.text


async def test_gzip_envelopes_and_store_bodies_with_a_query_key_are_stored(api) -> None:
    owner = await api.register("gzip")
    dsn = await make_dsn(api, owner)
    first, second = event(), event(value="boom again")
    headers = {**auth(dsn), "Content-Encoding": "gzip", "Content-Type": "application/x-sentry-envelope"}

    sent = await api.client.post(
        f"/api/{dsn['projectId']}/envelope/", content=gzip.compress(envelope(first)), headers=headers
    )
    assert sent.json() == {"id": first["event_id"]}
    stored = await api.client.post(
        f"/api/{dsn['projectId']}/store/?sentry_version=7&sentry_key={dsn['publicKey']}", json=second
    )
    assert stored.json() == {"id": second["event_id"]}

    groups = await groups_of(api, owner, total=2)
    assert [(g["title"], g["eventCount"]) for g in groups] == [("KeyError: boom", 2)]


async def test_malformed_bodies_are_400_and_oversized_ones_413(api) -> None:
    owner = await api.register("malformed")
    dsn = await make_dsn(api, owner)
    path = f"/api/{dsn['projectId']}/envelope/"

    not_json = await api.client.post(path, content=b"not an envelope\n{}", headers=auth(dsn))
    assert not_json.status_code == 400
    assert not_json.json() == {"error": "malformed envelope: header is not JSON"}
    bad_gzip = await api.client.post(
        path, content=b"\x1f\x8bnope", headers={**auth(dsn), "Content-Encoding": "gzip"}
    )
    assert bad_gzip.status_code == 400
    bad_id = await api.client.post(
        f"/api/{dsn['projectId']}/store/", json={"event_id": "x"}, headers=auth(dsn)
    )
    assert bad_id.json() == {"error": "event_id must be a UUID"}
    huge = envelope({**event(), "extra": {"blob": "x" * 1_100_000}})
    too_big = await api.client.post(path, content=huge, headers=auth(dsn))
    assert too_big.status_code == 413
    # A small gzip body that inflates past the limit is refused too.
    bomb = await api.client.post(
        path, content=gzip.compress(huge), headers={**auth(dsn), "Content-Encoding": "gzip"}
    )
    assert bomb.status_code == 413


async def test_over_the_per_key_rate_limit_is_429_with_retry_after(
    api, identity_addr: str, redis_url: str, principal_key: bytes, fleet_addrs: dict[str, str], serve_gateway
) -> None:
    owner = await api.register("limited")
    dsn = await make_dsn(api, owner)
    settings = GatewaySettings(
        identity_addr=identity_addr,
        redis_url=redis_url,
        principal_key=principal_key,
        ingest_rate_limit_per_second=2,
        **fleet_addrs,
    )
    async with serve_gateway(settings) as client:
        answers = [
            await client.post(f"/api/{dsn['projectId']}/store/", json=event(), headers=auth(dsn))
            for _ in range(6)
        ]
    refused = [a for a in answers if a.status_code == 429]
    assert refused, [a.status_code for a in answers]
    assert refused[0].headers["Retry-After"] == "1"
    assert {a.status_code for a in answers} == {200, 429}


async def test_events_sent_while_the_consumer_is_stopped_are_all_stored_exactly_once(
    api, ingest_server
) -> None:
    owner = await api.register("durable")
    dsn = await make_dsn(api, owner)
    await ingest_server.sentry.stop()
    try:
        for _ in range(1000):
            sent = await api.client.post(
                f"/api/{dsn['projectId']}/envelope/", content=envelope(event()), headers=auth(dsn)
            )
            assert sent.status_code == 200, sent.text
        assert (await api.client.get("/api/errors/groups", headers=owner.headers())).json()["groups"] == []
    finally:
        await ingest_server.sentry.start()

    groups = await groups_of(api, owner, total=1000, within=120)
    assert [g["eventCount"] for g in groups] == [1000]
    async with ingest_server.deps.reads() as session:
        from sqlalchemy import func, select
        from switchyard.ingest.db.models import ErrorEvent

        stored = await session.scalar(select(func.count()).where(ErrorEvent.project_id == dsn["projectId"]))
    assert stored == 1000
