"""``/api/apps/{appId}/domains`` and ``/api/servers/{serverId}/{dwaar/reconcile,routes/diff}`` through the
gateway, deploy and agents, with the reference agent (libs/agent) writing real route files.

Test set-up: as in test_api_servers, ``enrol`` inserts the server and its agent secret with SQL.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from switchyard.testing.agent import reference_agent

from tests.api.test_api_servers import enrol, registered

pytestmark = pytest.mark.integration

OFFLINE = {"error": "agent is offline (no live command stream)"}


async def _until(check: Callable[[], Awaitable[Any]], seconds: float = 15) -> Any:
    async with asyncio.timeout(seconds):
        for _ in iter(int, 1):  # until check() holds
            if value := await check():
                return value
            await asyncio.sleep(0.05)
    raise AssertionError("unreachable")


async def _app(api: Any, owner: Any, server_id: str, port: int = 8181) -> dict[str, Any]:
    project = await api.client.post(
        "/api/projects", headers=owner.headers(), json={"name": f"Sites {uuid.uuid4().hex[:6]}"}
    )
    assert project.status_code == 201, project.text
    body = {"projectId": project.json()["project"]["id"], "name": "Web", "serverId": server_id, "port": port}
    app = await api.client.post("/api/apps", headers=owner.headers(), json=body)
    assert app.status_code == 201, app.text
    return dict(app.json()["app"])


def _host(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}.example.com"


async def test_domains_validation_conflicts_tenancy_and_offline_removal(
    api, agents_server, tmp_path: Path
) -> None:
    owner, stranger = await api.register("dom"), await api.register("dom-x")
    server_id, secret = await enrol(agents_server, owner.tenant_id)
    app = await _app(api, owner, server_id)
    base = f"/api/apps/{app['id']}/domains"
    for hostname in ["", "bad_host.com", "-x.example.com", "a..example.com", "localhost", "10.0.0.1",
                     "a.*.example.com", "*.", f"{'a' * 64}.com", ("abcdefgh." * 29) + "com"]:  # fmt: skip
        bad = await api.client.post(base, headers=owner.headers(), json={"hostname": hostname})
        assert bad.status_code == 400, hostname
        assert "hostname" in bad.json()["error"], hostname
    missing = await api.client.post(base, headers=owner.headers(), json={})
    assert (missing.status_code, missing.json()) == (400, {"error": "hostname is required"})
    wrong = await api.client.post(
        base, headers=owner.headers(), json={"hostname": "x.example.com", "tls": "y"}
    )
    assert (wrong.status_code, wrong.json()) == (400, {"error": "tls must be a boolean"})

    host = _host("Shop").upper()
    created = await api.client.post(base, headers=owner.headers(), json={"hostname": host, "tls": False})
    assert created.status_code == 201, created.text
    domain = created.json()["domain"]
    assert (domain["hostname"], domain["tls"], domain["serverId"]) == (host.lower(), False, server_id)
    # The agent is offline: the route waits in the agents queue, the domain stays pending.
    assert domain["status"] == "pending"
    wildcard = await api.client.post(base, headers=owner.headers(), json={"hostname": f"*.{host.lower()}"})
    assert wildcard.status_code == 201, wildcard.text

    # A hostname is unique across every tenant.
    other_app = await _app(api, stranger, (await enrol(agents_server, stranger.tenant_id))[0])
    for who, where in [(owner, base), (stranger, f"/api/apps/{other_app['id']}/domains")]:
        taken = await api.client.post(where, headers=who.headers(), json={"hostname": host.lower()})
        assert (taken.status_code, taken.json()) == (
            409,
            {"error": "hostname is already assigned", "hostname": host.lower()},
        )

    # Another tenant's app, domain and server are 404.
    one = f"{base}/{domain['id']}"
    for method, path, error in [
        ("GET", base, "app not found"),
        ("POST", base, "app not found"),
        ("GET", one, "domain not found"),
        ("DELETE", one, "domain not found"),
    ]:
        body = {"hostname": _host("x")} if method == "POST" else None
        foreign = await api.client.request(method, path, headers=stranger.headers(), json=body)
        assert (foreign.status_code, foreign.json()) == (404, {"error": error}), (method, path)
    cross = await api.client.get(
        f"/api/apps/{other_app['id']}/domains/{domain['id']}", headers=stranger.headers()
    )
    assert (cross.status_code, cross.json()) == (404, {"error": "domain not found"})
    for method, suffix in [("POST", "dwaar/reconcile"), ("GET", "routes/diff")]:
        foreign = await api.client.request(
            method, f"/api/servers/{server_id}/{suffix}", headers=stranger.headers()
        )
        assert (foreign.status_code, foreign.json()) == (404, {"error": "server not found"}), suffix
        offline = await api.client.request(
            method, f"/api/servers/{server_id}/{suffix}", headers=owner.headers()
        )
        assert (offline.status_code, offline.json()) == (422, OFFLINE), suffix

    listed = await api.client.get(base, headers=owner.headers())
    assert [d["hostname"] for d in listed.json()["domains"]] == sorted([host.lower(), f"*.{host.lower()}"])
    changes = await api.client.get("/api/changes?types=domain", headers=owner.headers())
    assert [c["type"] for c in changes.json()["changes"]] == ["domain.add", "domain.add"]

    # Removed while the agent is offline: the queued ROUTE_ADD is cancelled, never to race the ROUTE_REMOVE.
    removed = await api.client.delete(one, headers=owner.headers())
    assert removed.status_code == 202, removed.text
    assert removed.json()["domain"]["status"] == "removing"
    add = await api.client.get(f"/api/commands/{domain['commandId']}", headers=owner.headers())
    assert add.json()["command"]["status"] == "cancelled"

    async def read(domain_id: str) -> Any:
        response = await api.client.get(f"{base}/{domain_id}", headers=owner.headers())
        return response.json()["domain"] if response.status_code == 200 else None

    async with reference_agent(
        agents_server.agent_address,
        server_id,
        secret,
        tmp_path,
        registered=lambda: registered(agents_server, server_id),
    ):
        await _until(lambda: _gone(read, domain["id"]))
        assert (await _until(lambda: _active(read, wildcard.json()["domain"]["id"])))["status"] == "active"
    files = sorted(p.name for p in (tmp_path / "dwaar" / "apps").glob("*.dwaar"))
    assert files == [f"wildcard.{host.lower()}.dwaar"]


async def test_domains_route_through_the_reference_agent_and_the_diff_and_reconcile(
    api, agents_server, tmp_path: Path
) -> None:
    owner = await api.register("routes")
    server_id, secret = await enrol(agents_server, owner.tenant_id)
    app = await _app(api, owner, server_id, port=8282)
    base, headers = f"/api/apps/{app['id']}/domains", owner.headers()
    diff_path = f"/api/servers/{server_id}/routes/diff"
    routes_dir = tmp_path / "dwaar" / "apps"

    async def domain(domain_id: str) -> Any:
        response = await api.client.get(f"{base}/{domain_id}", headers=headers)
        return response.json()["domain"] if response.status_code == 200 else None

    async def states() -> dict[str, str]:
        response = await api.client.get(diff_path, headers=headers)
        assert response.status_code == 200, response.text
        return {r["domain"]: r["diff"] for r in response.json()["routes"]}

    async def command(type_: str, payload: dict[str, Any]) -> None:
        issued = await api.client.post(
            f"/api/servers/{server_id}/commands", headers=headers, json={"type": type_, "payload": payload}
        )
        assert issued.status_code in (200, 201), issued.text
        command_id = issued.json()["command"]["id"]

        async def done() -> bool:
            got = (await api.client.get(f"/api/commands/{command_id}", headers=headers)).json()["command"]
            return bool(got["status"] == "completed")

        await _until(done)

    async with reference_agent(
        agents_server.agent_address,
        server_id,
        secret,
        tmp_path,
        registered=lambda: registered(agents_server, server_id),
    ):
        kept, dropped = _host("kept"), _host("dropped")
        ids = {}
        for host in (kept, dropped):
            created = await api.client.post(base, headers=headers, json={"hostname": host})
            assert created.status_code == 201, created.text
            ids[host] = created.json()["domain"]["id"]
            active = await _until(lambda h=host: _active(domain, ids[h]))
            assert (active["status"], active["lastError"]) == ("active", None)
        assert (routes_dir / f"{kept}.dwaar").read_text().count("reverse_proxy 127.0.0.1:8282") == 1
        # The canonical set reaches the agents service as an event: the diff converges.
        await _until(lambda: _equals(states, {kept: "in_sync", dropped: "in_sync"}))

        # Drift behind the control plane's back: one route removed, one added.
        stray = _host("stray")
        await command("ROUTE_REMOVE", {"domain": dropped})
        await command("ROUTE_ADD", {"domain": stray, "upstream_host": "127.0.0.1", "upstream_port": 9999})
        diff = await api.client.get(diff_path, headers=headers)
        rows = {r["domain"]: r for r in diff.json()["routes"]}
        assert {d: r["diff"] for d, r in rows.items()} == {
            kept: "in_sync",
            dropped: "missing_in_dwaar",
            stray: "unexpected_in_dwaar",
        }
        assert rows[kept] == {
            "domain": kept,
            "diff": "in_sync",
            "app_id": app["id"],
            "expected_upstream": "127.0.0.1:8282",
            "actual_upstream": "127.0.0.1:8282",
            "upstream_matches": True,
        }
        assert (rows[stray]["app_id"], rows[stray]["actual_upstream"]) == (None, "127.0.0.1:9999")

        reconciled = await api.client.post(f"/api/servers/{server_id}/dwaar/reconcile", headers=headers)
        assert reconciled.status_code == 200, reconciled.text
        body = reconciled.json()
        assert (body["queued"], body["routes"]) == (True, 2)
        await _until(lambda: _equals(states, {kept: "in_sync", dropped: "in_sync"}))
        assert not (routes_dir / f"{stray}.dwaar").exists()

        # Removing a domain removes its route, then the domain.
        removed = await api.client.delete(f"{base}/{ids[dropped]}", headers=headers)
        assert removed.status_code == 202, removed.text
        assert removed.json()["domain"]["status"] == "removing"
        await _until(lambda: _gone(domain, ids[dropped]))
        assert not (routes_dir / f"{dropped}.dwaar").exists()
        await _until(lambda: _equals(states, {kept: "in_sync"}))
    changes = await api.client.get("/api/changes?types=domain", headers=headers)
    assert sorted(c["type"] for c in changes.json()["changes"]) == [
        "domain.active",
        "domain.active",
        "domain.add",
        "domain.add",
        "domain.remove",
    ]


async def _active(read: Callable[[str], Awaitable[Any]], domain_id: str) -> Any:
    found = await read(domain_id)
    return found if found and found["status"] != "pending" else None


async def _gone(read: Callable[[str], Awaitable[Any]], domain_id: str) -> bool:
    return await read(domain_id) is None


async def _equals(read: Callable[[], Awaitable[Any]], expected: Any) -> bool:
    return bool(await read() == expected)
