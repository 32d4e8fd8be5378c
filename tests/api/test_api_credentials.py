"""Daemon credentials through the gateway: the store, snapshots, rotation, and the SSE rotation stream.

Real identity and workers services behind in-process gateways. The SSE tests serve gateway replica A
with uvicorn on a real port (httpx's ASGI transport buffers whole responses, so it cannot stream) in
front of a second workers server, and post the rotation through gateway replica B in front of the
first: the UPDATE crosses both the gateway and the workers replicas.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import structlog
import uvicorn
from switchyard.gateway.app import create_app
from switchyard.gateway.config import Settings as GatewaySettings
from switchyard.testing import free_port

pytestmark = pytest.mark.integration

CREDENTIALS = "/api/daemon/credentials"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
ORG_MISMATCH = "orgId does not match the authenticated organization"


def _secret() -> str:
    return f"ghp_{uuid.uuid4().hex}{uuid.uuid4().hex}"


async def _store(client: httpx.AsyncClient, headers: dict, org_id: str, name: str, value: str, **extra: Any):
    body = {"orgId": org_id, "name": name, "value": value, "kind": "github", **extra}
    return await client.post(CREDENTIALS, headers=headers, json=body)


async def test_store_list_delete_never_show_values(fleet) -> None:
    org = await fleet.org("cred-store")
    key = fleet.api.bearer(org.key)
    value = _secret()
    made = await _store(fleet.client, key, org.id, "GH_TOKEN", value, projectId="p1")
    assert made.status_code == 201, made.text
    credential = made.json()["credential"]
    assert set(credential) == {
        "id",
        "orgId",
        "projectId",
        "envName",
        "name",
        "kind",
        "createdAt",
        "updatedAt",
        "rotatedAt",
    }
    assert (credential["orgId"], credential["projectId"], credential["envName"]) == (
        org.id,
        "p1",
        "production",
    )
    assert RFC3339.match(credential["createdAt"])
    assert credential["rotatedAt"] is None
    # An org admin (here the owner) with X-Tenant-ID manages them too; a replacement is a rotation.
    owner = org.owner.headers(org.id)
    replaced = await _store(fleet.client, owner, org.id, "GH_TOKEN", _secret(), projectId="p1")
    assert replaced.status_code == 201, replaced.text
    assert replaced.json()["credential"]["id"] == credential["id"]
    assert RFC3339.match(replaced.json()["credential"]["rotatedAt"])
    await _store(fleet.client, key, org.id, "NPM_TOKEN", _secret(), kind="npm")

    listed = await fleet.client.get(CREDENTIALS, headers=key, params={"orgId": org.id})
    assert listed.status_code == 200, listed.text
    assert [c["name"] for c in listed.json()["credentials"]] == ["NPM_TOKEN", "GH_TOKEN"]
    assert value not in listed.text
    assert "value" not in listed.text
    only_p1 = await fleet.client.get(CREDENTIALS, headers=key, params={"projectId": "p1"})
    assert [c["name"] for c in only_p1.json()["credentials"]] == ["GH_TOKEN"]
    org_wide = await fleet.client.get(CREDENTIALS, headers=key, params={"projectId": ""})
    assert [c["name"] for c in org_wide.json()["credentials"]] == ["NPM_TOKEN"]


async def test_delete_answers_404_for_another_orgs_credential(fleet) -> None:
    org = await fleet.org("cred-delete")
    key = fleet.api.bearer(org.key)
    credential = (await _store(fleet.client, key, org.id, "GH_TOKEN", _secret())).json()["credential"]
    stranger = await fleet.org("cred-stranger")
    foreign = await fleet.client.delete(
        f"{CREDENTIALS}/{credential['id']}", headers=fleet.api.bearer(stranger.key)
    )
    assert (foreign.status_code, foreign.json()) == (404, {"error": "Credential not found"})
    gone = await fleet.client.delete(f"{CREDENTIALS}/{credential['id']}", headers=key)
    assert (gone.status_code, gone.json()) == (200, {"deleted": True})
    assert (await fleet.client.delete(f"{CREDENTIALS}/{credential['id']}", headers=key)).status_code == 404


async def test_bad_input_is_a_400_naming_the_field(fleet) -> None:
    org = await fleet.org("cred-400")
    key = fleet.api.bearer(org.key)
    cases = [
        ({"name": "GH_TOKEN", "value": "v", "kind": "github"}, "orgId is required"),
        ({"orgId": org.id, "value": "v", "kind": "github"}, "name is required"),
        ({"orgId": org.id, "name": "GH_TOKEN", "kind": "github"}, "value is required"),
        ({"orgId": org.id, "name": "GH_TOKEN", "value": "", "kind": "github"}, "value is required"),
        ({"orgId": org.id, "name": "GH_TOKEN", "value": 7, "kind": "github"}, "value must be a string"),
        ({"orgId": org.id, "name": "GH_TOKEN", "value": "v"}, "kind is required"),
        ({"orgId": org.id, "name": "GH_TOKEN", "value": "v", "kind": "Git Hub"}, "kind must be"),
        ({"orgId": org.id, "name": "1ST", "value": "v", "kind": "github"}, "name must be"),
        (
            {"orgId": org.id, "name": "DONMAI_DAEMON_TOKEN", "value": "v", "kind": "x"},
            "name DONMAI_DAEMON_TOKEN",
        ),
        ({"orgId": org.id, "name": "A", "value": "x" * 65537, "kind": "github"}, "value must be at most"),
    ]
    for body, message in cases:
        response = await fleet.client.post(CREDENTIALS, headers=key, json=body)
        assert response.status_code == 400, (body.keys(), response.text)
        assert response.json()["error"].startswith(message), response.json()
        assert "x" * 100 not in response.text
    mismatch = await _store(fleet.client, key, str(uuid.uuid4()), "GH_TOKEN", "v")
    assert (mismatch.status_code, mismatch.json()) == (403, {"error": ORG_MISMATCH})
    rotate = await fleet.client.post(f"{CREDENTIALS}/rotate", headers=key, json={"orgId": org.id})
    assert (rotate.status_code, rotate.json()) == (400, {"error": "kind is required"})
    snapshot = await fleet.client.post(f"{CREDENTIALS}/snapshot", headers=key, json={})
    assert (snapshot.status_code, snapshot.json()) == (400, {"error": "orgId is required"})
    anonymous = await fleet.client.post(f"{CREDENTIALS}/snapshot", json={"orgId": org.id})
    assert anonymous.status_code == 401


async def test_snapshot_serves_project_overrides_to_daemons(fleet) -> None:
    org = await fleet.org("cred-snap")
    key = fleet.api.bearer(org.key)
    for name, value, project in (("SHARED", "org-1", ""), ("TOKEN", "org-2", ""), ("TOKEN", "p1-2", "p1")):
        assert (await _store(fleet.client, key, org.id, name, value, projectId=project)).status_code == 201
    worker = await fleet.register(org)
    body = {"orgId": org.id, "projectId": "p1", "sessionId": "sess-1"}
    # The daemon's runtime JWT and its registration key both work.
    for headers in (worker.headers, key):
        response = await fleet.client.post(f"{CREDENTIALS}/snapshot", headers=headers, json=body)
        assert response.status_code == 200, response.text
        assert response.json()["env"] == {"SHARED": "org-1", "TOKEN": "p1-2"}
        assert RFC3339.match(response.json()["refreshUntil"])
        assert "no-store" in response.headers["Cache-Control"]
    plain = await fleet.client.post(f"{CREDENTIALS}/snapshot", headers=key, json={"orgId": org.id})
    assert plain.json()["env"] == {"SHARED": "org-1", "TOKEN": "org-2"}
    other = await fleet.org("cred-snap-other")
    mismatch = await fleet.client.post(
        f"{CREDENTIALS}/snapshot", headers=fleet.api.bearer(other.key), json={"orgId": org.id}
    )
    assert (mismatch.status_code, mismatch.json()) == (403, {"error": ORG_MISMATCH})


async def test_rotate_answers_and_refuses_unknown_kinds(fleet) -> None:
    org = await fleet.org("cred-rotate")
    key = fleet.api.bearer(org.key)
    unknown = await fleet.client.post(
        f"{CREDENTIALS}/rotate", headers=key, json={"orgId": org.id, "kind": "github"}
    )
    assert (unknown.status_code, unknown.json()) == (404, {"error": "credential kind not configured"})
    await _store(fleet.client, key, org.id, "GH_TOKEN", _secret())
    done = await fleet.client.post(
        f"{CREDENTIALS}/rotate", headers=key, json={"orgId": org.id, "kind": "github"}
    )
    assert done.status_code == 200, done.text
    assert {k: v for k, v in done.json().items() if k != "rotatedAt"} == {
        "ok": True,
        "kind": "github",
        "sessionCount": 0,
    }
    assert RFC3339.match(done.json()["rotatedAt"])


async def test_values_never_reach_the_logs(fleet, caplog) -> None:
    structlog.configure(
        processors=[structlog.processors.JSONRenderer()],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    caplog.set_level(logging.DEBUG)
    try:
        org = await fleet.org("cred-logs")
        key = fleet.api.bearer(org.key)
        value = _secret()
        assert (await _store(fleet.client, key, org.id, "LOGGED_NAME", value)).status_code == 201
        bad = await _store(fleet.client, key, org.id, "bad name", value)
        assert bad.status_code == 400
        snap = await fleet.client.post(f"{CREDENTIALS}/snapshot", headers=key, json={"orgId": org.id})
        assert snap.json()["env"] == {"LOGGED_NAME": value}
        await fleet.client.get(CREDENTIALS, headers=key)
    finally:
        structlog.reset_defaults()
    assert "LOGGED_NAME" in caplog.text  # the lines were captured...
    assert value not in caplog.text  # ...and none carries the value


class SseClient:
    """Reads a ``text/event-stream`` response into events in the background."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        event: dict[str, Any] = {"comments": []}
        async for line in self.response.aiter_lines():
            if not line:
                await self.events.put(event)
                event = {"comments": []}
            elif line.startswith(":"):
                event["comments"].append(line[1:].strip())
            else:
                field, _, value = line.partition(":")
                event[field] = value.strip()

    async def next(self, wait: float = 5.0) -> dict[str, Any]:
        """The next event (or comment-only block)."""
        return await asyncio.wait_for(self.events.get(), wait)

    async def updates(self, seconds: float) -> list[dict[str, Any]]:
        """UPDATE events that arrive within ``seconds``."""
        found = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            try:
                event = await self.next(left)
            except TimeoutError:
                break
            if event.get("event") == "UPDATE":
                found.append(event)
        return found

    async def close(self) -> None:
        """Stop reading and hang up."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.response.aclose()


@asynccontextmanager
async def _sse(client: httpx.AsyncClient, headers: dict, session_id: str = "") -> AsyncIterator[SseClient]:
    params = {"sessionId": session_id} if session_id else {}
    async with client.stream(
        "GET", f"{CREDENTIALS}/rotate-stream", headers=headers, params=params
    ) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = SseClient(response)
        try:
            assert (await reader.next())["comments"] == ["connected"]
            yield reader
        finally:
            await reader.close()


@pytest.fixture
async def streaming_gateway(
    identity_addr, redis_url, principal_key, mutations_addr, start_workers, workers_settings_values
) -> AsyncIterator[httpx.AsyncClient]:
    """Gateway replica A on a real port (uvicorn) before a second workers server (0.3 s keep-alive)."""
    workers = await start_workers({**workers_settings_values, "credential_keepalive_seconds": 0.3})
    settings = GatewaySettings(
        identity_addr=identity_addr,
        workers_addr=workers.address,
        mutations_addr=mutations_addr,
        redis_url=redis_url,
        principal_key=principal_key,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=2,
        )
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not serving.done(), serving.result()
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
    finally:
        server.should_exit = True
        await serving
        await workers.stop(grace=0.5)


async def _rotate(client: httpx.AsyncClient, org, kind: str = "github") -> dict[str, Any]:
    response = await client.post(
        f"{CREDENTIALS}/rotate",
        headers={"Authorization": f"Bearer {org.key}"},
        json={"orgId": org.id, "kind": kind},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_rotate_stream_hears_a_rotation_posted_through_another_replica(
    fleet, api_b, streaming_gateway
) -> None:
    org, other = await fleet.org("cred-sse"), await fleet.org("cred-sse-other")
    for o in (org, other):
        await _store(fleet.client, fleet.api.bearer(o.key), o.id, "GH_TOKEN", _secret())
    worker = await fleet.register(org)
    refused = await streaming_gateway.get(f"{CREDENTIALS}/rotate-stream")
    assert (refused.status_code, refused.json()) == (401, {"error": "authentication required"})

    async with (
        _sse(streaming_gateway, worker.headers, session_id="sess-42") as watcher,
        _sse(streaming_gateway, fleet.api.bearer(other.key)) as stranger,
    ):
        done = await _rotate(api_b.client, org)
        assert done["sessionCount"] == 1
        updates = await watcher.updates(1.5)
        assert len(updates) == 1
        assert json.loads(updates[0]["data"]) == {
            "orgId": org.id,
            "kind": "github",
            "rotatedAt": done["rotatedAt"],
            "sessionId": "sess-42",
        }
        # Keep-alives are comments; the other org's subscriber hears nothing but those.
        assert await stranger.updates(0.8) == []
        assert "keep-alive" in (await stranger.next())["comments"]

    # Both streams are closed: the subscriber no longer counts, on any replica.
    for _ in range(100):
        if (await _rotate(api_b.client, org))["sessionCount"] == 0:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the closed subscriber is still counted")
