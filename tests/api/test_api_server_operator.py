"""``/api/servers/{serverId}/{reenroll,dwaar/config,dwaar/revisions,dwaar/rollback,network}`` through the
gateway: the reference agent (libs/agent) patches a real Dwaarfile and inspects a Docker stand-in.

Test set-up: as in test_api_servers, ``enrol`` inserts the server and its agent secret with SQL.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from agent.v1 import agent_pb2 as T
from switchyard.testing.agent import DWAARFILE, fake_docker, reference_agent

from tests.api.test_api_servers import connected_agent, enrol, registered

pytestmark = pytest.mark.integration

NETWORK = {
    "Id": "net-1",
    "Name": "deploy-net",
    "Driver": "bridge",
    "Containers": {
        "c1": {"Name": "dwaar", "IPv4Address": "172.18.0.2/16", "MacAddress": "02:42:ac:12:00:02"},
        "c2": {"Name": "/leftover-db", "IPv4Address": "172.18.0.7/16", "MacAddress": "02:42:ac:12:00:07"},
    },
}


def _agent(agents_server: Any, server_id: str, secret: str, root: Path, **kwargs: Any) -> Any:
    return reference_agent(
        agents_server.agent_address,
        server_id,
        secret,
        root,
        registered=lambda: registered(agents_server, server_id),
        **kwargs,
    )


async def test_reenroll_offline_online_and_the_five_minute_guard(api, agents_server) -> None:
    owner, stranger = await api.register("reenrol"), await api.register("reenrol-x")
    offline_id, _ = await enrol(agents_server, owner.tenant_id)
    path = f"/api/servers/{offline_id}/reenroll"
    foreign = await api.client.post(path, headers=stranger.headers())
    assert (foreign.status_code, foreign.json()) == (404, {"error": "server not found"})
    offline = await api.client.post(path, headers=owner.headers())
    assert offline.status_code == 200, offline.text
    body = offline.json()
    assert set(body) == {"online", "paste_command", "install_url"}
    assert body["online"] is False
    url = urlsplit(body["install_url"])
    assert (url.scheme, url.netloc, url.path) == ("http", "gateway.test", "/api/agent/install.sh")
    assert parse_qs(url.query)["previous_server_id"] == [offline_id]
    assert body["paste_command"] == f"curl -fsSL '{body['install_url']}' | PERMANU_FORCE_REENROLL=1 sh"
    # The URL serves the installer with the previous id baked in.
    script = await api.client.get(f"{url.path}?{url.query}")
    assert script.status_code == 200, script.text
    assert f"PREVIOUS_SERVER_ID={offline_id}" in script.text
    again = await api.client.post(path, headers=owner.headers())
    assert again.status_code == 409
    assert "already in flight" in again.json()["error"]

    online_id, secret = await enrol(agents_server, owner.tenant_id)
    async with connected_agent(agents_server, online_id, secret) as received:
        queued = await api.client.post(f"/api/servers/{online_id}/reenroll", headers=owner.headers())
        assert queued.status_code == 200, queued.text
        body = queued.json()
        assert set(body) == {"queued", "online", "command_id", "install_url", "expires_at"}
        assert (body["queued"], body["online"]) == (True, True)
        async with asyncio.timeout(10):
            for _ in iter(int, 1):  # until the agent has the command
                if received:
                    break
                await asyncio.sleep(0.02)
    [command] = [c for c in received if c.type == T.COMMAND_TYPE_REENROLL]
    assert (command.id, json.loads(command.payload)) == (
        body["command_id"],
        {"install_url": body["install_url"]},
    )
    history = (await api.client.get(f"/api/commands/{command.id}", headers=owner.headers())).json()
    assert "token=redacted" in history["command"]["payload"]["install_url"]
    # What the installer does with the URL: registering with its token and previous id relinks the server.
    query = parse_qs(urlsplit(body["install_url"]).query)
    relinked = await api.client.post(
        "/api/agent/register",
        json={
            "token": query["token"][0],
            "hostname": "web-1b",
            "machineId": "m-relink",
            "previous_server_id": query["previous_server_id"][0],
        },
    )
    assert relinked.status_code == 201, relinked.text
    assert (relinked.json()["serverId"], relinked.json()["relinked"]) == (online_id, True)


async def test_dwaar_patch_revisions_and_rollback_restore_the_agents_file(
    api, agents_server, tmp_path: Path
) -> None:
    owner, stranger = await api.register("dwaar"), await api.register("dwaar-x")
    server_id, secret = await enrol(agents_server, owner.tenant_id)
    base, headers = f"/api/servers/{server_id}/dwaar", owner.headers()
    change = {"block": "log_level", "action": "upsert", "value": "warn"}
    offline = await api.client.post(f"{base}/config", headers=headers, json=change)
    assert (offline.status_code, offline.json()) == (
        422,
        {"error": "agent is offline (no live command stream)"},
    )
    for method, suffix, body in [
        ("POST", "config", change),
        ("GET", "revisions", None),
        ("POST", "rollback", {"revision_id": "x"}),
    ]:
        foreign = await api.client.request(method, f"{base}/{suffix}", headers=stranger.headers(), json=body)
        assert (foreign.status_code, foreign.json()) == (404, {"error": "server not found"}), suffix
    for body, message in [
        ({"block": "tls", "action": "upsert", "value": "x"}, "block must be one of"),
        ({"block": "log_level", "action": "upsert", "value": "a\nb"}, "value must be a single line"),
        ({"block": "log_level", "value": "x"}, "action"),
        ({**change, "value": 5}, "value must be a string"),
    ]:
        bad = await api.client.post(f"{base}/config", headers=headers, json=body)
        assert bad.status_code == 400, body
        assert message in bad.json()["error"]
    bad_rollback = await api.client.post(f"{base}/rollback", headers=headers, json={})
    assert bad_rollback.status_code == 400
    assert "revision_id" in bad_rollback.json()["error"]
    too_many = await api.client.get(f"{base}/revisions?limit=101", headers=headers)
    assert (too_many.status_code, too_many.json()) == (400, {"error": "limit must be between 1 and 100"})

    dwaarfile = tmp_path / "dwaar" / "Dwaarfile"
    dwaarfile.parent.mkdir(parents=True)
    dwaarfile.write_text(DWAARFILE)
    async with _agent(agents_server, server_id, secret, tmp_path):
        patched = await api.client.post(f"{base}/config", headers=headers, json=change)
        assert patched.status_code == 200, patched.text
        reply = patched.json()
        assert {"block", "action", "prev", "new", "restart_ok", "revision_id"} <= set(reply)
        assert (reply["block"], reply["action"], reply["prev"], reply["new"]) == (
            "log_level",
            "upsert",
            "info",
            "warn",
        )
        assert reply["restart_ok"] is False
        assert "log_level { warn }" in dwaarfile.read_text()

        listed = (await api.client.get(f"{base}/revisions", headers=headers)).json()["revisions"]
        assert [(r["id"], r["status"], r["prev"], r["new"]) for r in listed] == [
            (reply["revision_id"], "applied", "info", "warn")
        ]
        link = listed[0]["links"]["rollback"]
        assert link == {
            "method": "POST",
            "href": f"{base}/rollback",
            "body": {"revision_id": reply["revision_id"]},
        }

        undone = await api.client.post(link["href"], headers=headers, json=link["body"])
        assert undone.status_code == 200, undone.text
        rollback = undone.json()
        assert rollback["rollback_of"] == reply["revision_id"]
        assert (rollback["block"], rollback["action"], rollback["prev"], rollback["new"]) == (
            "log_level",
            "upsert",
            "warn",
            "info",
        )
        assert dwaarfile.read_text() == DWAARFILE

        twice = await api.client.post(link["href"], headers=headers, json=link["body"])
        assert (twice.status_code, twice.json()) == (
            409,
            {"error": "revision was already rolled back", "rolled_back_by": rollback["revision_id"]},
        )
        unknown = await api.client.post(f"{base}/rollback", headers=headers, json={"revision_id": "nope"})
        assert (unknown.status_code, unknown.json()) == (404, {"error": "revision not found"})
    listed = (await api.client.get(f"{base}/revisions?limit=1", headers=headers)).json()["revisions"]
    assert [(r["id"], r["rollback_of"], r["rollbackable"]) for r in listed] == [
        (rollback["revision_id"], reply["revision_id"], True)
    ]


async def test_network_table_from_the_reference_agent_and_422_offline(
    api, agents_server, tmp_path: Path
) -> None:
    owner, stranger = await api.register("net"), await api.register("net-x")
    server_id, secret = await enrol(agents_server, owner.tenant_id)
    path = f"/api/servers/{server_id}/network"
    offline = await api.client.get(path, headers=owner.headers())
    assert (offline.status_code, offline.json()) == (
        422,
        {"error": "agent is offline (no live command stream)"},
    )
    async with (
        fake_docker(NETWORK) as socket,
        _agent(agents_server, server_id, secret, tmp_path, docker_socket=socket),
    ):
        table = await api.client.get(path, headers=owner.headers())
        foreign = await api.client.get(path, headers=stranger.headers())
    assert table.status_code == 200, table.text
    body = table.json()
    assert (body["network_id"], body["network_name"], body["driver"], body["error"]) == (
        "net-1",
        "deploy-net",
        "bridge",
        None,
    )
    assert body["containers"] == [
        {
            "container_id": "c1",
            "container_name": "dwaar",
            "ipv4_address": "172.18.0.2/16",
            "mac_address": "02:42:ac:12:00:02",
            "app_id": None,
            "deployment_id": None,
            "unexpected_on_deploy_net": False,
        },
        {
            "container_id": "c2",
            "container_name": "leftover-db",
            "ipv4_address": "172.18.0.7/16",
            "mac_address": "02:42:ac:12:00:07",
            "app_id": None,
            "deployment_id": None,
            "unexpected_on_deploy_net": True,
        },
    ]
    assert (foreign.status_code, foreign.json()) == (404, {"error": "server not found"})
