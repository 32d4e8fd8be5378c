"""Operator actions: re-enrolment (online/offline, 5-minute guard), Dwaar config patches recorded as
revisions and rolled back on the reference agent's real Dwaarfile, and the deploy-net membership table."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import grpc
import pytest
from agent.v1 import agent_pb2 as T
from switchyard.agents.v1 import agents_service_pb2 as svc
from switchyard.agents.v1 import operator_pb2 as op
from switchyard.testing.agent import DWAARFILE, reference_agent

pytestmark = pytest.mark.integration

INSTALLER = "https://gw.example.test/api/agent/install.sh"


def error_fields(error: Any) -> dict[str, Any]:
    """The ``x-error-fields`` an RPC error carried."""
    raw = dict(error.trailing_metadata()).get("x-error-fields", "{}")
    return dict(json.loads(raw))


def http_status(error: Any) -> str:
    """The ``x-http-status`` override an RPC error carried."""
    return str(dict(error.trailing_metadata()).get("x-http-status", ""))


async def answered(call: Any, agent: Any, command_type: int, status: str, output: str) -> Any:
    """Start ``call`` (a coroutine waiting on the agent), answer its command of ``command_type``, await it."""
    task = asyncio.ensure_future(call)
    seen = len(agent.received)
    async with asyncio.timeout(10):
        while True:
            await agent.wait_for(seen + 1)
            command = agent.received[seen]
            seen += 1
            if command.type == command_type:
                break
    await agent.finish(command.id, status, output)
    return await task


def _reference(fleet, server, root: Path, *, via: str = "a"):
    """The reference agent of ``server`` on replica ``via``."""
    address = fleet.replicas[via].agent_address
    ready = lambda: fleet.until(lambda: fleet.stream_on(server, via))  # noqa: E731
    return reference_agent(address, server.id, server.secret, root, registered=ready)


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


async def test_reenroll_online_queues_reenroll_whose_url_relinks_the_server(fleet, redis) -> None:
    server = await fleet.enrol(name="reenrol-online")
    owner = fleet.owner(server.org)
    request = op.ReenrollServerRequest(server_id=server.id, installer_url=INSTALLER)
    async with fleet.agent(server, via="b") as agent:
        done = await fleet.call("ReenrollServer", request, owner)
        [command] = await agent.wait_for(1)
    assert (done.queued, done.online, done.command_id) == (True, True, command.id)
    assert command.type == T.COMMAND_TYPE_REENROLL
    assert json.loads(command.payload) == {"install_url": done.install_url}
    assert done.install_url.startswith(INSTALLER + "?token=sit_")
    query = _query(done.install_url)
    assert query["previous_server_id"] == [server.id]
    assert done.HasField("expires_at")
    # Readers of the history never see the install token.
    stored = await fleet.command(server, command.id)
    assert json.loads(stored.payload_json)["install_url"] == (
        f"{INSTALLER}?token=redacted&previous_server_id={server.id}"
    )
    # A second click, on any replica, within 5 minutes: 409.
    again = await fleet.fails("ReenrollServer", request, owner, via="b")
    assert again.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "already in flight" in again.details()
    assert 0 < await redis.ttl(f"agents:guard:reenroll:{server.id}") <= 300
    # What the installer does with the URL: register with the token and the previous id relinks the row.
    registered = await fleet.stubs["a"].RegisterServer(
        svc.RegisterServerRequest(
            token=query["token"][0],
            hostname="reenrolled.example",
            machine_id="m-1",
            previous_server_id=query["previous_server_id"][0],
        ),
        timeout=10,
    )
    assert (registered.relinked, registered.credentials.server_id) == (True, server.id)


async def test_reenroll_offline_answers_a_paste_command_and_is_admin_only(fleet) -> None:
    server = await fleet.enrol(name="reenrol-offline")
    request = op.ReenrollServerRequest(server_id=server.id, installer_url=INSTALLER)
    member = await fleet.fails("ReenrollServer", request, fleet.member(server.org))
    assert member.code() == grpc.StatusCode.PERMISSION_DENIED
    stranger = await fleet.fails("ReenrollServer", request, fleet.owner(fleet.new_org()))
    assert (stranger.code(), stranger.details()) == (grpc.StatusCode.NOT_FOUND, "server not found")
    for bad in ("", "ftp://gw.example.test/x", "https://gw.example.test/install.sh?token=x", "/relative"):
        error = await fleet.fails(
            "ReenrollServer",
            op.ReenrollServerRequest(server_id=server.id, installer_url=bad),
            fleet.owner(server.org),
        )
        assert (error.code(), error.details()) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "installer_url must be an absolute http(s) URL without a query",
        )
    done = await fleet.call("ReenrollServer", request, fleet.owner(server.org))
    assert (done.queued, done.online, done.command_id) == (False, False, "")
    assert _query(done.install_url)["previous_server_id"] == [server.id]
    assert done.paste_command == f"curl -fsSL '{done.install_url}' | PERMANU_FORCE_REENROLL=1 sh"
    history = await fleet.call(
        "ListCommands", svc.ListCommandsRequest(server_id=server.id), fleet.member(server.org)
    )
    assert list(history.commands) == []
    again = await fleet.fails("ReenrollServer", request, fleet.owner(server.org))
    assert again.code() == grpc.StatusCode.ALREADY_EXISTS


def _patch(server, block: str, action: str, value: str = "") -> op.PatchDwaarConfigRequest:
    return op.PatchDwaarConfigRequest(server_id=server.id, block=block, action=action, value=value)


async def test_dwaar_patches_are_recorded_and_rollback_restores_the_agents_file(
    fleet, tmp_path: Path
) -> None:
    server = await fleet.enrol(name="dwaar-1")
    owner = fleet.owner(server.org)
    dwaarfile = tmp_path / "dwaar" / "Dwaarfile"
    dwaarfile.parent.mkdir(parents=True)
    dwaarfile.write_text(DWAARFILE)
    async with _reference(fleet, server, tmp_path, via="b"):
        added = await fleet.call("PatchDwaarConfig", _patch(server, "analytics", "upsert", "enabled"), owner)
        reply = json.loads(added.reply_json)
        assert (reply["block"], reply["action"], reply["prev"], reply["new"]) == (
            "analytics",
            "upsert",
            "",
            "enabled",
        )
        assert reply["restart_ok"] is False
        assert reply["prev_present"] is False
        assert (added.revision.status, added.revision.rollbackable) == ("applied", True)
        assert "    analytics { enabled }\n}" in dwaarfile.read_text()
        changed = await fleet.call(
            "PatchDwaarConfig", _patch(server, "log_level", "upsert", "warn"), owner, via="b"
        )
        assert (changed.revision.prev, changed.revision.new) == ("info", "warn")
        assert "log_level { warn }" in dwaarfile.read_text()

        listed = await fleet.call(
            "ListDwaarConfigRevisions",
            op.ListDwaarConfigRevisionsRequest(server_id=server.id),
            fleet.member(server.org),
        )
        assert [r.id for r in listed.revisions] == [changed.revision.id, added.revision.id]
        assert [r.status for r in listed.revisions] == ["applied", "applied"]

        undo = await fleet.call(
            "RollbackDwaarConfig",
            op.RollbackDwaarConfigRequest(server_id=server.id, revision_id=changed.revision.id),
            owner,
        )
        assert (undo.rollback_of, undo.revision.rollback_of) == (changed.revision.id, changed.revision.id)
        assert (undo.revision.block, undo.revision.action, undo.revision.value) == (
            "log_level",
            "upsert",
            "info",
        )
        assert json.loads(undo.reply_json)["prev"] == "warn"
        undo_added = await fleet.call(
            "RollbackDwaarConfig",
            op.RollbackDwaarConfigRequest(server_id=server.id, revision_id=added.revision.id),
            owner,
        )
        assert (undo_added.revision.action, json.loads(undo_added.reply_json)["prev"]) == (
            "remove",
            "enabled",
        )
        # The inverse patches put the agent's file back byte for byte.
        assert dwaarfile.read_text() == DWAARFILE

        twice = await fleet.fails(
            "RollbackDwaarConfig",
            op.RollbackDwaarConfigRequest(server_id=server.id, revision_id=added.revision.id),
            owner,
        )
        assert (twice.code(), twice.details()) == (
            grpc.StatusCode.FAILED_PRECONDITION,
            "revision was already rolled back",
        )
        assert error_fields(twice) == {"rolled_back_by": undo_added.revision.id}
    listed = await fleet.call(
        "ListDwaarConfigRevisions", op.ListDwaarConfigRevisionsRequest(server_id=server.id, limit=3), owner
    )
    assert [r.id for r in listed.revisions] == [undo_added.revision.id, undo.revision.id, changed.revision.id]
    assert listed.revisions[2].rolled_back_by == undo.revision.id
    assert listed.revisions[2].rollbackable is False
    commands = await fleet.call("ListCommands", svc.ListCommandsRequest(server_id=server.id), owner)
    assert {c.type for c in commands.commands} == {T.COMMAND_TYPE_DWAAR_CONFIG_PATCH}


async def test_failed_patches_are_error_revisions_that_cannot_be_rolled_back(fleet, tmp_path: Path) -> None:
    server = await fleet.enrol(name="dwaar-2")
    owner = fleet.owner(server.org)
    offline = await fleet.fails("PatchDwaarConfig", _patch(server, "log_level", "upsert", "warn"), owner)
    assert (offline.code(), http_status(offline)) == (grpc.StatusCode.FAILED_PRECONDITION, "422")
    for request, message in [
        (
            _patch(server, "nope", "upsert", "x"),
            "block must be one of: analytics, log_level, rate_limit_default",
        ),
        (_patch(server, "log_level", "replace", "x"), "action must be upsert or remove"),
        (_patch(server, "log_level", "upsert", " "), "value is required for upsert"),
        (_patch(server, "log_level", "upsert", "a\nb"), "value must be a single line"),
        (_patch(server, "log_level", "upsert", "x" * 4097), "value must be at most 4096 bytes"),
    ]:
        error = await fleet.fails("PatchDwaarConfig", request, owner)
        assert (error.code(), error.details()) == (grpc.StatusCode.INVALID_ARGUMENT, message)
    member = await fleet.fails(
        "PatchDwaarConfig", _patch(server, "log_level", "remove"), fleet.member(server.org)
    )
    assert member.code() == grpc.StatusCode.PERMISSION_DENIED
    stranger = fleet.owner(fleet.new_org())
    for method, request in [
        ("PatchDwaarConfig", _patch(server, "log_level", "remove")),
        ("ListDwaarConfigRevisions", op.ListDwaarConfigRevisionsRequest(server_id=server.id)),
        ("RollbackDwaarConfig", op.RollbackDwaarConfigRequest(server_id=server.id, revision_id="x")),
    ]:
        error = await fleet.fails(method, request, stranger)
        assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, "server not found"), method
    async with _reference(fleet, server, tmp_path):
        # No Dwaarfile on this server: the agent fails and the attempt is recorded as an error revision.
        failed = await fleet.fails("PatchDwaarConfig", _patch(server, "log_level", "upsert", "warn"), owner)
    assert (failed.code(), http_status(failed)) == (grpc.StatusCode.FAILED_PRECONDITION, "502")
    assert failed.details().startswith("agent answered failed: read ")
    revision_id = error_fields(failed)["revision_id"]
    [recorded] = (
        await fleet.call(
            "ListDwaarConfigRevisions", op.ListDwaarConfigRevisionsRequest(server_id=server.id), owner
        )
    ).revisions
    assert (recorded.id, recorded.status, recorded.rollbackable) == (revision_id, "error", False)
    assert recorded.error == failed.details()
    refused = await fleet.fails(
        "RollbackDwaarConfig",
        op.RollbackDwaarConfigRequest(server_id=server.id, revision_id=revision_id),
        owner,
    )
    assert (refused.code(), refused.details()) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "revision is error; only an applied revision can be rolled back",
    )
    for revision_id, code in [("", grpc.StatusCode.INVALID_ARGUMENT), ("unknown", grpc.StatusCode.NOT_FOUND)]:
        error = await fleet.fails(
            "RollbackDwaarConfig",
            op.RollbackDwaarConfigRequest(server_id=server.id, revision_id=revision_id),
            owner,
        )
        assert error.code() == code
    too_many = await fleet.fails(
        "ListDwaarConfigRevisions", op.ListDwaarConfigRevisionsRequest(server_id=server.id, limit=101), owner
    )
    assert (too_many.code(), too_many.details()) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "limit must be between 1 and 100",
    )


NETWORK = {
    "network_id": "n1",
    "network_name": "deploy-net",
    "driver": "bridge",
    "containers": [
        {
            "container_id": "c3",
            "container_name": "stray",
            "ipv4_address": "172.18.0.9/16",
            "mac_address": "02:42:ac:12:00:09",
        },
        {
            "container_id": "c1",
            "container_name": "dwaar",
            "ipv4_address": "172.18.0.2/16",
            "mac_address": "02:42:ac:12:00:02",
        },
    ],
}


async def test_network_table_flags_unmapped_containers_and_is_422_offline(fleet) -> None:
    server = await fleet.enrol(name="net-1")
    member = fleet.member(server.org)
    request = op.GetServerNetworkRequest(server_id=server.id)
    offline = await fleet.fails("GetServerNetwork", request, member)
    assert (offline.code(), http_status(offline)) == (grpc.StatusCode.FAILED_PRECONDITION, "422")
    async with fleet.agent(server, via="b") as agent:
        table = await answered(
            fleet.call("GetServerNetwork", request, member),
            agent,
            T.COMMAND_TYPE_NETWORK_INSPECT,
            "completed",
            json.dumps(NETWORK),
        )
        failed = await answered(
            fleet.fails("GetServerNetwork", request, member),
            agent,
            T.COMMAND_TYPE_NETWORK_INSPECT,
            "failed",
            "NetworkInspect deploy-net: 404",
        )
    assert (table.network_id, table.network_name, table.driver, table.error) == (
        "n1",
        "deploy-net",
        "bridge",
        "",
    )
    rows = [
        (c.container_name, c.ipv4_address, c.mac_address, c.app_id, c.unexpected_on_deploy_net)
        for c in table.containers
    ]
    assert rows == [
        ("dwaar", "172.18.0.2/16", "02:42:ac:12:00:02", "", False),
        ("stray", "172.18.0.9/16", "02:42:ac:12:00:09", "", True),
    ]
    assert (await fleet.command(server, table.command_id)).type == T.COMMAND_TYPE_NETWORK_INSPECT
    assert (http_status(failed), failed.details()) == (
        "502",
        "agent answered failed: NetworkInspect deploy-net: 404",
    )
    stranger = await fleet.fails("GetServerNetwork", request, fleet.member(fleet.new_org()))
    assert stranger.code() == grpc.StatusCode.NOT_FOUND
