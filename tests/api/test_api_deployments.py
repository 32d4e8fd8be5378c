"""Deployments end to end: REST (gateway) -> deploy -> agents -> the reference agent (libs/agent) -> a
running HTTP app, with live and replayed progress over SSE, rollback, cancel and approval gating.

Test set-up: as in test_api_servers, ``enrol`` inserts the server and its agent secret with SQL. The SSE
routes are read through a uvicorn-served gateway (httpx's ASGI transport does not stream).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from switchyard.gateway.app import create_app
from switchyard.testing import free_port
from switchyard.testing.agent import reference_agent

from tests.api.conftest import gateway_settings
from tests.api.test_api_credentials import SseClient
from tests.api.test_api_servers import enrol, registered

pytestmark = pytest.mark.integration

SECRET = "tok-3e1b9f-never-in-a-listing"
FINAL = {"succeeded", "failed", "cancelled", "rejected"}


@pytest.fixture
async def sse_gateway(
    identity_addr: str, redis_url: str, principal_key: bytes, fleet_addrs: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway on a real port (uvicorn), so event streams arrive as they are sent."""
    port = free_port()
    config = uvicorn.Config(
        create_app(gateway_settings(identity_addr, redis_url, principal_key, **fleet_addrs)),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not serving.done(), serving.result()
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        await serving


@asynccontextmanager
async def _events(client: httpx.AsyncClient, deployment_id: str, headers: Any, **params: Any) -> Any:
    async with client.stream(
        "GET", f"/api/deployments/{deployment_id}/events", headers=headers, params=params
    ) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = SseClient(response)
        try:
            assert (await reader.next())["comments"] == ["connected"]
            yield reader
        finally:
            await reader.close()


async def _until_end(reader: SseClient) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    progress: list[dict[str, Any]] = []
    while True:
        event = await reader.next(90)
        if event.get("event") == "progress":
            progress.append(json.loads(event["data"]))
        elif event.get("event") == "end":
            return progress, json.loads(event["data"])["deployment"]


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _settled(api: Any, headers: Any, deployment_id: str) -> dict[str, Any]:
    async with asyncio.timeout(90):
        while True:
            body = await _ok(await api.client.get(f"/api/deployments/{deployment_id}", headers=headers))
            if body["deployment"]["status"] in FINAL:
                return dict(body["deployment"])
            await asyncio.sleep(0.1)


async def _app(api: Any, headers: Any, server_id: str, port: int, command: str) -> dict[str, Any]:
    project = await _ok(await api.client.post("/api/projects", headers=headers, json={"name": "Site"}), 201)
    body = {
        "projectId": project["project"]["id"],
        "name": "Web",
        "serverId": server_id,
        "port": port,
        "startCommand": command,
    }
    return dict((await _ok(await api.client.post("/api/apps", headers=headers, json=body), 201))["app"])


def _site(root: Path, name: str, text: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "index.html").write_text(text)
    return folder


async def _stop_apps(agent: Any) -> None:
    driver = agent.ctx.driver
    for state_file in (agent.config.apps_dir).glob("*"):
        state = driver.load_state(state_file.name)
        for release_id in (state.current, state.previous):
            release = driver.load_release(state_file.name, release_id)
            if release is not None and driver.is_running(release):
                await driver.stop(release, grace=2)


async def test_deploy_serves_http_streams_progress_and_rolls_back(
    api, agents_server, sse_gateway, tmp_path: Path
) -> None:
    owner, stranger = await api.register("deploy-e2e"), await api.register("deploy-e2e-x")
    headers = owner.headers()
    server_id, secret = await enrol(agents_server, owner.tenant_id)
    port = free_port()
    v1, v2 = _site(tmp_path, "v1", "release one"), _site(tmp_path, "v2", "release two")
    app = await _app(api, headers, server_id, port, f"python3 -m http.server {{port}} --directory {v1}")
    await _ok(
        await api.client.put(f"/api/apps/{app['id']}/env", headers=headers, json={"vars": {"TOKEN": SECRET}})
    )
    agent_root = tmp_path / "agent"
    async with reference_agent(
        agents_server.agent_address,
        server_id,
        secret,
        agent_root,
        registered=lambda: registered(agents_server, server_id),
    ) as agent:
        try:
            created = await _ok(
                await api.client.post(
                    f"/api/apps/{app['id']}/deployments", headers=headers, json={"imageTag": "v1"}
                ),
                201,
            )
            first = created["deployment"]
            assert (first["status"], first["environment"], first["imageTag"]) == (
                "queued",
                "production",
                "v1",
            )
            assert first["commandId"] == first["id"]
            # Live: the stream carries the agent's progress as it happens, then the final state, then ends.
            async with _events(sse_gateway, first["id"], headers) as reader:
                live, end = await _until_end(reader)
            assert end["status"] == "succeeded", end
            statuses = [e["status"] for e in live]
            assert statuses[0] == "queued"
            assert "running" in statuses
            assert statuses[-1] == "succeeded"
            assert any("started release" in e["message"] for e in live)
            assert {e["deploymentId"] for e in live} == {first["id"]}
            async with httpx.AsyncClient() as plain:
                assert "release one" in (await plain.get(f"http://127.0.0.1:{port}/")).text

            # Replay: a reconnect from the second event's time gets the stored events from there, then ends.
            async with _events(sse_gateway, first["id"], headers, from_ts=live[1]["ts"]) as reader:
                replayed, _ = await _until_end(reader)
            assert replayed == [e for e in live if e["ts"] >= live[1]["ts"]]
            async with _events(sse_gateway, first["id"], headers, limit=1) as reader:
                capped, _ = await _until_end(reader)
            assert capped == live[:1]

            # A second release whose start command proves the env value reached the process (and only it).
            command = (
                f'sh -c \'printf %s "$TOKEN" > {v2}/token.txt && exec python3 -m http.server {{port}}'
                f" --directory {v2}'"
            )
            await _ok(
                await api.client.patch(
                    f"/api/apps/{app['id']}", headers=headers, json={"startCommand": command}
                )
            )
            second = (
                await _ok(
                    await api.client.post(
                        f"/api/apps/{app['id']}/deployments", headers=headers, json={"imageTag": "v2"}
                    ),
                    201,
                )
            )["deployment"]
            assert (await _settled(api, headers, second["id"]))["status"] == "succeeded"
            async with httpx.AsyncClient() as plain:
                assert "release two" in (await plain.get(f"http://127.0.0.1:{port}/")).text
                assert (await plain.get(f"http://127.0.0.1:{port}/token.txt")).text == SECRET

            # Rollback to the first deployment: its spec again, rollbackOf set.
            rolled = (
                await _ok(
                    await api.client.post(f"/api/deployments/{first['id']}/rollback", headers=headers), 201
                )
            )["deployment"]
            assert (rolled["rollbackOf"], rolled["imageTag"]) == (first["id"], "v1")
            assert (await _settled(api, headers, rolled["id"]))["status"] == "succeeded"
            async with httpx.AsyncClient() as plain:
                assert "release one" in (await plain.get(f"http://127.0.0.1:{port}/")).text
            listed = await _ok(await api.client.get(f"/api/apps/{app['id']}/deployments", headers=headers))
            assert [d["id"] for d in listed["deployments"]] == [rolled["id"], second["id"], first["id"]]
            again = await api.client.post(f"/api/deployments/{first['id']}/cancel", headers=headers)
            assert again.status_code == 409
        finally:
            await _stop_apps(agent)

    # The env value is in no listing: not the server's command history, not the feed, not a deployment.
    commands = await api.client.get(f"/api/servers/{server_id}/commands", headers=headers)
    changes = await api.client.get("/api/changes?types=deployment", headers=headers)
    assert commands.status_code == changes.status_code == 200
    assert SECRET not in commands.text
    assert SECRET not in changes.text
    assert SECRET not in json.dumps(listed)
    kinds = [c["type"] for c in changes.json()["changes"]]
    assert kinds.count("deployment.succeeded") == 3
    assert {"deployment.create", "deployment.rollback"} <= set(kinds)

    # Another org sees nothing; bad stream parameters are 400 naming the field.
    for path in (f"/api/deployments/{first['id']}", f"/api/deployments/{first['id']}/events"):
        foreign = await api.client.get(path, headers=stranger.headers())
        assert (foreign.status_code, foreign.json()) == (404, {"error": "deployment not found"}), path
    for params, field in [
        ({"limit": 0}, "limit"),
        ({"limit": 2001}, "limit"),
        ({"from_ts": "soon"}, "from_ts"),
    ]:
        bad = await api.client.get(f"/api/deployments/{first['id']}/events", headers=headers, params=params)
        assert bad.status_code == 400
        assert field in bad.json()["error"]


async def test_approval_gating_reject_and_cancel(api, agents_server) -> None:
    owner, stranger = await api.register("deploy-gate"), await api.register("deploy-gate-x")
    headers = owner.headers()
    # No agent connected: an approved deployment's command waits, queued, until it is cancelled.
    server_id, _ = await enrol(agents_server, owner.tenant_id)
    app = await _app(api, headers, server_id, free_port(), "python3 -m http.server {port}")
    base = f"/api/apps/{app['id']}"
    approval = await _ok(
        await api.client.put(
            f"{base}/environments/production/approval", headers=headers, json={"requiresApproval": True}
        )
    )
    assert approval["environment"]["requiresApproval"] is True

    async def deploy() -> dict[str, Any]:
        body = await _ok(await api.client.post(f"{base}/deployments", headers=headers, json={}), 201)
        return dict(body["deployment"])

    gated = await deploy()
    assert (gated["status"], gated["commandId"]) == ("pending_approval", None)
    foreign = await api.client.post(f"/api/deployments/{gated['id']}/approve", headers=stranger.headers())
    assert foreign.status_code == 404
    rejected = await _ok(
        await api.client.post(
            f"/api/deployments/{gated['id']}/reject", headers=headers, json={"reason": "freeze"}
        )
    )
    assert (rejected["deployment"]["status"], rejected["deployment"]["error"]) == ("rejected", "freeze")
    late = await api.client.post(f"/api/deployments/{gated['id']}/approve", headers=headers)
    assert late.status_code == 409

    waiting = await deploy()
    approved = (
        await _ok(await api.client.post(f"/api/deployments/{waiting['id']}/approve", headers=headers))
    )["deployment"]
    assert (approved["status"], approved["commandId"], approved["approvedBy"]) == (
        "queued",
        waiting["id"],
        owner.user_id,
    )
    command = await _ok(await api.client.get(f"/api/commands/{waiting['id']}", headers=headers))
    assert (command["command"]["status"], command["command"]["typeName"]) == (
        "pending",
        "COMMAND_TYPE_APP_DEPLOY",
    )
    cancelled = await _ok(await api.client.post(f"/api/deployments/{waiting['id']}/cancel", headers=headers))
    assert cancelled["deployment"]["status"] == "cancelled"
    command = await _ok(await api.client.get(f"/api/commands/{waiting['id']}", headers=headers))
    assert command["command"]["status"] == "cancelled"

    unapproved = await deploy()
    dropped = await _ok(await api.client.post(f"/api/deployments/{unapproved['id']}/cancel", headers=headers))
    assert dropped["deployment"]["status"] == "cancelled"

    changes = await _ok(await api.client.get("/api/changes?types=deployment", headers=headers))
    kinds = sorted(c["type"] for c in changes["changes"])
    assert kinds == sorted(
        ["deployment.create"] * 3 + ["deployment.reject", "deployment.approve"] + ["deployment.cancel"] * 2
    )


async def test_deploy_hooks_trigger_without_a_session_once_per_interval(api, agents_server) -> None:
    owner, stranger = await api.register("deploy-hook"), await api.register("deploy-hook-x")
    headers = owner.headers()
    server_id, _ = await enrol(agents_server, owner.tenant_id)
    app = await _app(api, headers, server_id, free_port(), "python3 -m http.server {port}")
    hooks = f"/api/apps/{app['id']}/hooks"
    created = await _ok(await api.client.post(hooks, headers=headers, json={"name": "ci"}), 201)
    token, hook = created["token"], created["hook"]
    assert token.startswith("sydh_")
    assert created["url"] == f"/api/hooks/{token}"
    assert (hook["name"], hook["environment"], hook["tokenHint"]) == ("ci", "production", token[-4:])
    listed = await api.client.get(hooks, headers=headers)
    assert listed.status_code == 200
    assert token not in listed.text
    assert [h["id"] for h in listed.json()["hooks"]] == [hook["id"]]
    foreign = await api.client.get(hooks, headers=stranger.headers())
    assert (foreign.status_code, foreign.json()) == (404, {"error": "app not found"})

    # No session: the token is the proof. A second use within the interval is 429 with Retry-After.
    fired = await _ok(await api.client.post(f"/api/hooks/{token}", json={"imageTag": "ci-1"}), 201)
    deployment = fired["deployment"]
    assert (deployment["status"], deployment["imageTag"], deployment["requestedBy"]) == (
        "queued",
        "ci-1",
        f"hook:{hook['id']}",
    )
    assert deployment["appId"] == app["id"]
    again = await api.client.post(f"/api/hooks/{token}")
    assert again.status_code == 429
    assert int(again.headers["retry-after"]) > 0
    unknown = await api.client.post("/api/hooks/sydh_not-a-hook")
    assert (unknown.status_code, unknown.json()) == (404, {"error": "deploy hook not found"})

    removed = await _ok(await api.client.delete(f"{hooks}/{hook['id']}", headers=headers))
    assert removed == {"deleted": True}
    gone = await api.client.post(f"/api/hooks/{token}")
    assert gone.status_code == 404
    changes = await api.client.get("/api/changes?types=hook,deployment", headers=headers)
    assert token not in changes.text
    assert sorted(c["type"] for c in changes.json()["changes"]) == [
        "deployment.create",
        "hook.create",
        "hook.delete",
    ]
    await _ok(await api.client.post(f"/api/deployments/{deployment['id']}/cancel", headers=headers))
