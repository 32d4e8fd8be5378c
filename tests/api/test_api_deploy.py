"""Deploy control through the gateway: projects, apps, environments, env vars (masked, revealed with a
reason), server placement fed by real agents events, pools, and the change feed.

Real identity and deploy services behind an in-process gateway; servers arrive as ServerRegistered events
published on the AGENTS JetStream stream, as the agents service publishes them.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import nats
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.agents.v1 import agents_pb2, events_pb2

pytestmark = pytest.mark.integration


async def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def _app(api, owner, **fields: Any) -> dict[str, Any]:
    project = await _ok(
        await api.client.post(
            "/api/projects", headers=owner.headers(), json={"name": f"Shop {uuid.uuid4().hex[:6]}"}
        ),
        201,
    )
    body = {"projectId": project["project"]["id"], "name": "Web", "serverId": str(uuid.uuid4()), **fields}
    return (await _ok(await api.client.post("/api/apps", headers=owner.headers(), json=body), 201))["app"]


async def _registered(nats_url: str, org: str) -> str:
    server_id = str(uuid.uuid4())
    when = Timestamp()
    when.FromDatetime(datetime.now(UTC))
    event = events_pb2.ServerRegistered(server=agents_pb2.Server(id=server_id, org_id=org), occurred_at=when)
    client = await nats.connect(nats_url)
    try:
        await client.jetstream().publish("agents.server.registered", event.SerializeToString())
    finally:
        await client.drain()
    return server_id


async def _placed(api, owner, server_id: str) -> dict[str, Any]:
    for _ in range(200):
        response = await api.client.get(f"/api/servers/{server_id}/placement", headers=owner.headers())
        if response.status_code == 200:
            return dict(response.json()["placement"])
        assert response.status_code == 404, response.text
        await asyncio.sleep(0.05)
    raise AssertionError("the server never reached the placement projection")


async def test_projects_and_apps_crud_in_camel_case(api) -> None:
    owner = await api.register("deploy-apps")
    app = await _app(api, owner, port=8080, startCommand="python3 -m http.server {port}")
    assert (app["orgId"], app["slug"], app["port"], app["healthCheckPath"]) == (
        owner.tenant_id,
        "web",
        8080,
        "/",
    )
    assert app["startCommand"] == "python3 -m http.server {port}"
    envs = await _ok(await api.client.get(f"/api/apps/{app['id']}/environments", headers=owner.headers()))
    assert [e["name"] for e in envs["environments"]] == ["production"]
    listed = await _ok(await api.client.get("/api/apps", headers=owner.headers()))
    assert [a["id"] for a in listed["apps"]] == [app["id"]]
    patched = await _ok(
        await api.client.patch(
            f"/api/apps/{app['id']}", headers=owner.headers(), json={"healthCheckPath": "/up"}
        )
    )
    assert patched["app"]["healthCheckPath"] == "/up"
    project_id = app["projectId"]
    busy = await api.client.delete(f"/api/projects/{project_id}", headers=owner.headers())
    assert busy.status_code == 409
    assert (await _ok(await api.client.delete(f"/api/apps/{app['id']}", headers=owner.headers())))["deleted"]
    assert (await api.client.get(f"/api/apps/{app['id']}", headers=owner.headers())).status_code == 404
    assert (await _ok(await api.client.delete(f"/api/projects/{project_id}", headers=owner.headers())))[
        "deleted"
    ]


async def test_bad_bodies_are_400_naming_the_field(api) -> None:
    owner = await api.register("deploy-bad")
    project = await _ok(
        await api.client.post("/api/projects", headers=owner.headers(), json={"name": "P"}), 201
    )
    base = {"projectId": project["project"]["id"], "name": "Web", "serverId": str(uuid.uuid4())}
    cases = {
        "serverId": {**base, "serverId": "nope"},
        "port": {**base, "port": "eighty"},
        "healthCheckPath": {**base, "healthCheckPath": "no-slash"},
        "name": {k: v for k, v in base.items() if k != "name"},
    }
    for field, body in cases.items():
        response = await api.client.post("/api/apps", headers=owner.headers(), json=body)
        assert response.status_code == 400, (field, response.text)
        assert field in response.json()["error"], (field, response.json())
    app = await _app(api, owner)
    bad_put = await api.client.put(f"/api/apps/{app['id']}/env", headers=owner.headers(), json={"vars": 3})
    assert bad_put.status_code == 400
    assert "vars" in bad_put.json()["error"]
    bad_key = await api.client.put(
        f"/api/apps/{app['id']}/env", headers=owner.headers(), json={"vars": {"1X": "v"}}
    )
    assert bad_key.status_code == 400
    assert "key" in bad_key.json()["error"]
    no_tenant = await api.client.get("/api/apps", headers=api.bearer(owner.access))
    assert no_tenant.status_code == 400


async def test_env_values_are_masked_revealed_with_a_reason_and_kept_out_of_the_feed(api) -> None:
    owner = await api.register("deploy-env")
    app = await _app(api, owner)
    env_url = f"/api/apps/{app['id']}/env"
    value = f"postgres://u:{secrets.token_hex(8)}@db/app"
    put = await _ok(
        await api.client.put(
            env_url, headers=owner.headers(), json={"vars": {"DATABASE_URL": value, "MODE": "a"}}
        )
    )
    assert value not in str(put)
    assert [(v["key"], v["masked"]) for v in put["vars"]] == [("DATABASE_URL", True), ("MODE", True)]
    listed = await api.client.get(env_url, headers=owner.headers())
    assert value not in listed.text
    assert set(listed.json()["vars"][0]) == {"key", "masked", "updatedBy", "createdAt", "updatedAt"}
    as_list = {"vars": [{"key": "MODE", "value": "b"}], "replace": True}
    replaced = await _ok(await api.client.put(env_url, headers=owner.headers(), json=as_list))
    assert (replaced["removedKeys"], [v["key"] for v in replaced["vars"]]) == (["DATABASE_URL"], ["MODE"])
    await _ok(await api.client.put(env_url, headers=owner.headers(), json={"vars": {"DATABASE_URL": value}}))

    reveal_url = f"{env_url}/DATABASE_URL/reveal"
    no_reason = await api.client.post(reveal_url, headers=owner.headers(), json={})
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["error"]
    revealed = await api.client.post(reveal_url, headers=owner.headers(), json={"reason": "incident 42"})
    assert (await _ok(revealed)) == {"key": "DATABASE_URL", "value": value}
    assert "no-store" in revealed.headers["cache-control"]
    patched = await api.client.patch(f"{env_url}/MODE", headers=owner.headers(), json={"value": "c"})
    assert (await _ok(patched))["var"]["key"] == "MODE"
    assert (await _ok(await api.client.delete(f"{env_url}/MODE", headers=owner.headers())))["deleted"]

    feed = await api.client.get("/api/changes?types=env&since=1h", headers=owner.headers())
    assert value not in feed.text
    changes = (await _ok(feed))["changes"]
    assert [c["type"] for c in changes][:3] == ["env.remove", "env.rotate", "env.reveal"]
    assert changes[2]["summary"] == {
        "key": "DATABASE_URL",
        "environment": "production",
        "reason": "incident 42",
    }
    assert changes[2]["actor"] == owner.user_id
    bad_since = await api.client.get("/api/changes?since=yesterday", headers=owner.headers())
    assert bad_since.status_code == 400
    assert "since" in bad_since.json()["error"]


async def test_clone_between_environments(api) -> None:
    owner = await api.register("deploy-clone")
    app = await _app(api, owner)
    envs = f"/api/apps/{app['id']}/environments"
    await _ok(await api.client.post(envs, headers=owner.headers(), json={"name": "staging"}), 201)
    env_url = f"/api/apps/{app['id']}/env"
    await _ok(await api.client.put(env_url, headers=owner.headers(), json={"vars": {"A": "1", "B": "2"}}))
    await _ok(
        await api.client.put(
            f"{env_url}?environment=staging", headers=owner.headers(), json={"vars": {"B": "s"}}
        )
    )
    cloned = await _ok(
        await api.client.post(
            f"{env_url}/clone", headers=owner.headers(), json={"from": "production", "to": "staging"}
        )
    )
    assert cloned == {"copiedKeys": ["A"], "skippedKeys": ["B"]}
    staging = await _ok(await api.client.get(f"{env_url}?environment=staging", headers=owner.headers()))
    assert [v["key"] for v in staging["vars"]] == ["A", "B"]
    reveal = await api.client.post(
        f"{env_url}/B/reveal?environment=staging", headers=owner.headers(), json={"reason": "check"}
    )
    assert (await _ok(reveal))["value"] == "s"
    prod = await api.client.delete(f"{envs}/production", headers=owner.headers())
    assert prod.status_code == 409
    assert (await _ok(await api.client.delete(f"{envs}/staging", headers=owner.headers())))["deleted"]


async def test_placement_pools_and_cross_tenant_404(api, nats_url) -> None:
    owner, stranger = await api.register("deploy-srv"), await api.register("deploy-stranger")
    server_id = await _registered(nats_url, owner.tenant_id)
    placed = await _placed(api, owner, server_id)
    assert (placed["cordoned"], placed["draining"], placed["poolId"], placed["labels"]) == (
        False,
        False,
        None,
        {},
    )
    base = f"/api/servers/{server_id}"
    labels = await api.client.put(
        f"{base}/labels", headers=owner.headers(), json={"labels": {"zone": "eu-1"}}
    )
    assert (await _ok(labels))["placement"]["labels"] == {"zone": "eu-1"}
    drained = (await _ok(await api.client.post(f"{base}/drain", headers=owner.headers())))["placement"]
    assert (drained["cordoned"], drained["draining"]) == (True, True)
    assert (await api.client.post(f"{base}/uncordon", headers=owner.headers())).status_code == 409
    undrained = (await _ok(await api.client.post(f"{base}/undrain", headers=owner.headers())))["placement"]
    assert (undrained["cordoned"], undrained["draining"]) == (False, False)
    assert (await _ok(await api.client.post(f"{base}/cordon", headers=owner.headers())))["placement"][
        "cordoned"
    ]
    assert not (await _ok(await api.client.post(f"{base}/uncordon", headers=owner.headers())))["placement"][
        "cordoned"
    ]
    pool = (
        await _ok(await api.client.post("/api/pools", headers=owner.headers(), json={"name": "edge"}), 201)
    )["pool"]
    assigned = await api.client.post(f"{base}/pool", headers=owner.headers(), json={"poolId": pool["id"]})
    assert (await _ok(assigned))["placement"]["poolId"] == pool["id"]
    pools = (await _ok(await api.client.get("/api/pools", headers=owner.headers())))["pools"]
    assert [(p["name"], p["serverCount"]) for p in pools] == [("edge", 1)]
    states = await _ok(await api.client.get("/api/changes?types=server.state", headers=owner.headers()))
    assert [c["summary"]["action"] for c in states["changes"]] == ["uncordon", "cordon", "undrain", "drain"]

    theirs = stranger.headers()
    for method, path, body in (
        ("GET", f"{base}/placement", None),
        ("PUT", f"{base}/labels", {"labels": {}}),
        ("POST", f"{base}/cordon", None),
        ("POST", f"{base}/drain", None),
        ("POST", f"{base}/pool", {"poolId": None}),
        ("DELETE", f"/api/pools/{pool['id']}", None),
    ):
        response = await api.client.request(method, path, headers=theirs, json=body)
        assert response.status_code == 404, (method, path, response.text)
    app = await _app(api, owner)
    for method, path in (
        ("GET", f"/api/apps/{app['id']}"),
        ("GET", f"/api/apps/{app['id']}/env"),
        ("DELETE", f"/api/apps/{app['id']}"),
        ("GET", f"/api/projects/{app['projectId']}"),
    ):
        assert (await api.client.request(method, path, headers=theirs)).status_code == 404, path
    foreign_app = {"projectId": app["projectId"], "name": "X", "serverId": str(uuid.uuid4())}
    assert (await api.client.post("/api/apps", headers=theirs, json=foreign_app)).status_code == 404
    assert (await _ok(await api.client.get("/api/changes", headers=theirs)))["changes"] == []


async def test_a_bulk_put_over_the_body_limit_is_413_and_changes_nothing(api) -> None:
    owner = await api.register("deploy-bulk")
    app = await _app(api, owner)
    env_url = f"/api/apps/{app['id']}/env"
    await _ok(await api.client.put(env_url, headers=owner.headers(), json={"vars": {"KEEP": "1"}}))
    # 20 values of 60 KiB each are valid one by one, but the body is over the gateway's 1 MiB limit.
    big = {f"K{i}": "x" * 60 * 1024 for i in range(20)}
    refused = await api.client.put(env_url, headers=owner.headers(), json={"vars": big, "replace": True})
    assert refused.status_code == 413
    assert refused.json()["error"]
    listed = await _ok(await api.client.get(env_url, headers=owner.headers()))
    assert [v["key"] for v in listed["vars"]] == ["KEEP"]
    # The same set loads in pieces below the limit.
    for start in range(0, 20, 10):
        piece = {k: big[k] for k in list(big)[start : start + 10]}
        await _ok(await api.client.put(env_url, headers=owner.headers(), json={"vars": piece}))
    listed = await _ok(await api.client.get(env_url, headers=owner.headers()))
    assert len(listed["vars"]) == 21
