"""Domains: hostname rules, uniqueness, tenancy, the canonical route snapshots and how the agents service's
``agents.command.finished`` settles them.

The agents service is not running here (its address answers nothing), so issuing a command fails like an
outage; command results are published on the AGENTS stream as the agents service would, after pointing a
domain at a command id with SQL (test set-up).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import nats
import pytest
import sqlalchemy as sa
from switchyard.agents.v1 import agents_pb2, events_pb2
from switchyard.deploy.v1 import deploy_service_pb2 as svc
from switchyard.deploy.v1 import domains_pb2 as dp

pytestmark = pytest.mark.integration

UNAVAILABLE = "ROUTE_ADD not queued: agents service unavailable"
BAD_HOSTNAMES = [
    "",
    " ",
    "no_underscores.com",
    "-lead.example.com",
    "trail-.example.com",
    "a..b.com",
    "single",
    "192.168.1.1",
    "*",
    "*.",
    "a.*.example.com",
    "**.example.com",
    "x.com.",
    f"{'a' * 64}.com",
    ("abcdefgh." * 29) + "com",
    "ex ample.com",
    "exämple.com",
]


def _host(tag: str = "shop") -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}.example.com"


async def _create(deploy: Any, org: str, app_id: str, hostname: str, **fields: Any) -> Any:
    request = dp.CreateDomainRequest(app_id=app_id, hostname=hostname, **fields)
    return (await deploy.call("CreateDomain", request, deploy.owner(org))).domain


async def _get(deploy: Any, org: str, app_id: str, domain_id: str) -> Any:
    request = dp.GetDomainRequest(app_id=app_id, domain_id=domain_id)
    try:
        return (await deploy.call("GetDomain", request, deploy.member(org))).domain
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise


async def _sql(deploy: Any, statement: str, **params: Any) -> None:
    async with deploy.server.engine.begin() as conn:
        await conn.execute(sa.text(statement), params)


async def _finish(
    deploy: Any, server_id: str, command_id: str, type: int, status: str, output: str = ""
) -> None:
    command = agents_pb2.AgentCommand(
        id=command_id, server_id=server_id, type=type, status=status, output=output, final=True
    )
    event = events_pb2.CommandFinished(command=command, occurred_at=deploy.stamp())
    await deploy.js.publish("agents.command.finished", event.SerializeToString())


@pytest.fixture
async def snapshots(nats_url: str) -> AsyncIterator[list[dp.ServerRoutesChanged]]:
    """Every ``deploy.routes.changed`` published while the test runs."""
    client = await nats.connect(nats_url)
    seen: list[dp.ServerRoutesChanged] = []

    async def on(msg: Any) -> None:
        seen.append(dp.ServerRoutesChanged.FromString(msg.data))

    await client.subscribe("deploy.routes.changed", cb=on)
    yield seen
    await client.drain()


async def test_hostnames_are_checked_folded_and_unique_across_orgs(deploy) -> None:
    org, other = deploy.new_org(), deploy.new_org()
    app, their_app = await deploy.app(org), await deploy.app(other)
    for hostname in BAD_HOSTNAMES:
        error = await deploy.fails(
            "CreateDomain", dp.CreateDomainRequest(app_id=app.id, hostname=hostname), deploy.owner(org)
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, hostname
        assert "hostname" in (error.details() or ""), hostname
    host = _host()
    created = await _create(deploy, org, app.id, f"  {host.upper()} ", tls=False)
    assert (created.hostname, created.tls, created.app_id, created.server_id) == (
        host,
        False,
        app.id,
        app.server_id,
    )
    wildcard = await _create(deploy, org, app.id, f"*.{host}")
    assert (wildcard.hostname, wildcard.tls) == (f"*.{host}", True)
    longest = ("abcdefgh." * 25) + _host("x")
    assert len(longest) <= 253
    assert (await _create(deploy, org, app.id, longest)).hostname == longest
    for who, app_id in [(org, app.id), (other, their_app.id)]:
        taken = await deploy.fails(
            "CreateDomain", dp.CreateDomainRequest(app_id=app_id, hostname=host), deploy.owner(who)
        )
        assert (taken.code(), taken.details()) == (
            grpc.StatusCode.ALREADY_EXISTS,
            "hostname is already assigned",
        )


async def test_another_orgs_app_and_domain_are_not_found_and_members_only_read(deploy) -> None:
    org, other = deploy.new_org(), deploy.new_org()
    app = await deploy.app(org)
    domain = await _create(deploy, org, app.id, _host())
    stranger = deploy.owner(other)
    for method, request, message in [
        ("CreateDomain", dp.CreateDomainRequest(app_id=app.id, hostname=_host()), "app not found"),
        ("ListDomains", dp.ListDomainsRequest(app_id=app.id), "app not found"),
        ("GetDomain", dp.GetDomainRequest(app_id=app.id, domain_id=domain.id), "domain not found"),
        ("DeleteDomain", dp.DeleteDomainRequest(app_id=app.id, domain_id=domain.id), "domain not found"),
    ]:
        error = await deploy.fails(method, request, stranger)
        assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, message), method
    denied = await deploy.fails(
        "CreateDomain", dp.CreateDomainRequest(app_id=app.id, hostname=_host()), deploy.member(org)
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    listed = await deploy.call("ListDomains", dp.ListDomainsRequest(app_id=app.id), deploy.member(org))
    assert [d.id for d in listed.domains] == [domain.id]


async def test_an_unqueued_route_fails_the_domain_and_the_snapshot_follows(deploy, snapshots) -> None:
    org = deploy.new_org()
    app = await deploy.app(org, port=8123)
    host = _host()
    domain = await _create(deploy, org, app.id, host)
    assert (domain.status, domain.last_error, domain.command_id) == ("failed", UNAVAILABLE, "")

    async def mine() -> list[dp.ServerRoutesChanged]:
        return [s for s in snapshots if s.server_id == app.server_id]

    await deploy.eventually(lambda: _count(mine(), 2))
    first, second = await mine()
    assert (first.org_id, second.version) == (org, first.version + 1)
    assert [
        (r.domain, r.app_id, r.domain_id, r.upstream_host, r.upstream_port, r.tls) for r in first.routes
    ] == [(host, app.id, domain.id, "127.0.0.1", 8123, True)]
    assert list(second.routes) == []
    changes = await deploy.changes(org, types=["domain"])
    assert [(c.type, deploy.summary(c).get("error")) for c in changes] == [
        ("domain.failed", UNAVAILABLE),
        ("domain.add", None),
    ]
    assert deploy.summary(changes[1]) == {
        "hostname": host,
        "serverId": app.server_id,
        "tls": True,
        "port": 8123,
    }


async def test_command_results_settle_adds_and_removals(deploy, snapshots) -> None:
    org = deploy.new_org()
    app = await deploy.app(org)
    ok, bad = (
        await _create(deploy, org, app.id, _host("ok")),
        await _create(deploy, org, app.id, _host("bad")),
    )
    # Test set-up: as if ROUTE_ADD had been queued as commands c-ok and c-bad.
    ids = {ok.id: f"c-ok-{uuid.uuid4().hex}", bad.id: f"c-bad-{uuid.uuid4().hex}"}
    for domain_id, command_id in ids.items():
        await _sql(
            deploy,
            "UPDATE deploy.domains SET status = 'pending', last_error = '', command_id = :c WHERE id = :d",
            c=command_id,
            d=domain_id,
        )
    await _finish(deploy, app.server_id, "unrelated", 115, "completed")
    await _finish(deploy, app.server_id, ids[ok.id], 50, "completed", "route added")
    await _finish(deploy, app.server_id, ids[bad.id], 50, "failed", "resolve upstream: no such app")

    async def status(domain_id: str, wanted: str) -> bool:
        found = await _get(deploy, org, app.id, domain_id)
        return found is not None and found.status == wanted

    await deploy.eventually(lambda: status(ok.id, "active"))
    await deploy.eventually(lambda: status(bad.id, "failed"))
    failed = await _get(deploy, org, app.id, bad.id)
    assert failed.last_error == "agent answered failed: resolve upstream: no such app"
    changes = [
        (c.type, c.entity_id) for c in await deploy.changes(org, types=["domain.active", "domain.failed"])
    ]
    assert ("domain.active", ok.id) in changes
    assert ("domain.failed", bad.id) in changes

    removing = (
        await deploy.call(
            "DeleteDomain", dp.DeleteDomainRequest(app_id=app.id, domain_id=ok.id), deploy.owner(org)
        )
    ).domain
    assert (removing.status, removing.last_error) == (
        "removing",
        "ROUTE_REMOVE not queued: agents service unavailable",
    )
    await deploy.eventually(lambda: _no_routes(snapshots, app.server_id))
    remove_id = f"c-rm-{uuid.uuid4().hex}"
    await _sql(deploy, "UPDATE deploy.domains SET command_id = :c WHERE id = :d", c=remove_id, d=ok.id)
    await _finish(deploy, app.server_id, remove_id, 51, "completed", "route removed")
    await deploy.eventually(lambda: _absent(_get(deploy, org, app.id, ok.id)))
    changes = [(c.type, c.entity_id) for c in await deploy.changes(org, types=["domain.remove"])]
    assert changes == [("domain.remove", ok.id)]


async def _count(items: Any, n: int) -> bool:
    return len(await items) >= n


async def _absent(found: Any) -> bool:
    return await found is None


async def _no_routes(snapshots: list[dp.ServerRoutesChanged], server_id: str) -> bool:
    await asyncio.sleep(0)
    mine = [s for s in snapshots if s.server_id == server_id]
    return bool(mine) and not mine[-1].routes


async def test_an_app_with_domains_cannot_move_or_go(deploy) -> None:
    org = deploy.new_org()
    app = await deploy.app(org)
    await _create(deploy, org, app.id, _host())
    owner = deploy.owner(org)
    for request in [
        svc.UpdateAppRequest(app_id=app.id, port=9000),
        svc.UpdateAppRequest(app_id=app.id, server_id=str(uuid.uuid4())),
    ]:
        moved = await deploy.fails("UpdateApp", request, owner)
        assert (moved.code(), moved.details()) == (
            grpc.StatusCode.FAILED_PRECONDITION,
            "the app has domains; delete them before changing serverId or port",
        )
    renamed = await deploy.call("UpdateApp", svc.UpdateAppRequest(app_id=app.id, name="Renamed"), owner)
    assert renamed.app.name == "Renamed"
    gone = await deploy.fails("DeleteApp", svc.DeleteAppRequest(app_id=app.id), owner)
    assert (gone.code(), gone.details()) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "the app still has domains; delete them first",
    )
