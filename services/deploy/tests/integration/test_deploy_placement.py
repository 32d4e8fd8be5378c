"""Server placement: projected from real agents.server.* events on the AGENTS stream; labels, cordon and
drain, pools; cross-org NOT_FOUND."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from switchyard.deploy.v1 import deploy_service_pb2 as svc

pytestmark = pytest.mark.integration


async def _placement(deploy, org: str, server_id: str):
    request = svc.GetServerPlacementRequest(server_id=server_id)
    return (await deploy.call("GetServerPlacement", request, deploy.member(org))).placement


async def _missing(deploy, org: str, server_id: str) -> bool:
    try:
        await _placement(deploy, org, server_id)
    except grpc.aio.AioRpcError as exc:
        return exc.code() == grpc.StatusCode.NOT_FOUND
    return False


async def test_registered_and_revoked_events_drive_the_projection(deploy) -> None:
    org = deploy.new_org()
    server_id = await deploy.new_server(org)
    placed = await _placement(deploy, org, server_id)
    assert (placed.org_id, dict(placed.labels), placed.cordoned, placed.draining, placed.pool_id) == (
        org,
        {},
        False,
        False,
        "",
    )
    assert not placed.revoked
    await deploy.call("CordonServer", svc.CordonServerRequest(server_id=server_id), deploy.owner(org))

    # Credentials revoked (not deleted): still placed, flagged; a re-registration clears the flag and keeps
    # deploy's own state.
    await deploy.publish_revoked(org, server_id, deleted=False)

    async def revoked() -> bool:
        return bool((await _placement(deploy, org, server_id)).revoked)

    await deploy.eventually(revoked)
    await deploy.publish_registered(org, server_id)

    async def back() -> bool:
        return not (await _placement(deploy, org, server_id)).revoked

    await deploy.eventually(back)
    assert (await _placement(deploy, org, server_id)).cordoned

    # A late, older event changes nothing; a deletion hides the server.
    await deploy.publish_revoked(org, server_id, deleted=True, at=datetime.now(UTC) - timedelta(hours=1))
    await deploy.publish_revoked(org, server_id, deleted=True)
    await deploy.eventually(lambda: _missing(deploy, org, server_id))
    feed = [c.type for c in await deploy.changes(org, types=["server"])]
    assert feed == [
        "server.revoked",
        "server.registered",
        "server.revoked",
        "server.state",
        "server.registered",
    ]


async def test_a_malformed_event_does_not_stop_the_consumer(deploy) -> None:
    await deploy.js.publish("agents.server.registered", b"\xff\x00 not protobuf")
    await deploy.js.publish("agents.server.updated", b"")
    org = deploy.new_org()
    server_id = await deploy.new_server(org)  # the next good event still lands
    assert (await _placement(deploy, org, server_id)).server_id == server_id


async def test_labels_cordon_and_drain(deploy) -> None:
    org = deploy.new_org()
    server_id = await deploy.new_server(org)
    owner = deploy.owner(org)
    labels = svc.SetServerLabelsRequest(
        server_id=server_id, labels={"zone": "eu-1", "example.com/tier": "gold"}
    )
    placed = (await deploy.call("SetServerLabels", labels, owner)).placement
    assert dict(placed.labels) == {"zone": "eu-1", "example.com/tier": "gold"}
    replaced = svc.SetServerLabelsRequest(server_id=server_id, labels={"zone": "eu-2"})
    assert dict((await deploy.call("SetServerLabels", replaced, owner)).placement.labels) == {"zone": "eu-2"}
    for bad in ({"bad key!": "x"}, {"k": "x" * 257}, {f"k{i}": "v" for i in range(65)}):
        request = svc.SetServerLabelsRequest(server_id=server_id, labels=bad)
        error = await deploy.fails("SetServerLabels", request, owner)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "labels" in (error.details() or "")

    def state(method: str) -> tuple[str, object]:
        return method, getattr(svc, f"{method}Request")(server_id=server_id)

    drained = (await deploy.call(*state("DrainServer"), owner)).placement
    assert (drained.cordoned, drained.draining) == (True, True)
    error = await deploy.fails(*state("UncordonServer"), owner)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    undrained = (await deploy.call(*state("UndrainServer"), owner)).placement
    assert (undrained.cordoned, undrained.draining) == (False, False)
    cordoned = (await deploy.call(*state("CordonServer"), owner)).placement
    again = (await deploy.call(*state("CordonServer"), owner)).placement
    assert cordoned.cordoned
    assert again.cordoned
    assert not (await deploy.call(*state("UncordonServer"), owner)).placement.cordoned
    actions = [deploy.summary(c)["action"] for c in await deploy.changes(org, types=["server.state"])]
    assert actions == ["uncordon", "cordon", "undrain", "drain"]  # the repeated cordon was a no-op
    member = await deploy.fails(*state("CordonServer"), deploy.member(org))
    assert member.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_pools_and_assignment(deploy) -> None:
    org = deploy.new_org()
    server_id = await deploy.new_server(org)
    owner = deploy.owner(org)
    create = svc.CreatePoolRequest(name="edge", description="edge boxes", selector={"zone": "eu-1"})
    pool = (await deploy.call("CreatePool", create, owner)).pool
    assert (pool.name, dict(pool.selector)) == ("edge", {"zone": "eu-1"})
    assert (await deploy.fails("CreatePool", create, owner)).code() == grpc.StatusCode.ALREADY_EXISTS
    assign = svc.AssignServerPoolRequest(server_id=server_id, pool_id=pool.id)
    assert (await deploy.call("AssignServerPool", assign, owner)).placement.pool_id == pool.id
    [listed] = (await deploy.call("ListPools", svc.ListPoolsRequest(), deploy.member(org))).pools
    assert (listed.id, listed.server_count) == (pool.id, 1)
    unknown = svc.AssignServerPoolRequest(server_id=server_id, pool_id=str(uuid.uuid4()))
    assert (await deploy.fails("AssignServerPool", unknown, owner)).code() == grpc.StatusCode.NOT_FOUND
    assert (await deploy.call("DeletePool", svc.DeletePoolRequest(pool_id=pool.id), owner)).deleted
    assert (await _placement(deploy, org, server_id)).pool_id == ""
    [deleted] = await deploy.changes(org, types=["pool.delete"])
    assert deploy.summary(deleted) == {"name": "edge", "unassignedServers": 1}
    gone = svc.DeletePoolRequest(pool_id=pool.id)
    assert (await deploy.fails("DeletePool", gone, owner)).code() == grpc.StatusCode.NOT_FOUND


async def test_another_orgs_servers_and_pools_are_not_found(deploy) -> None:
    org, other = deploy.new_org(), deploy.new_org()
    theirs = await deploy.new_server(other)
    their_pool = (await deploy.call("CreatePool", svc.CreatePoolRequest(name="p"), deploy.owner(other))).pool
    mine = await deploy.new_server(org)
    me = deploy.owner(org)
    calls = {
        "GetServerPlacement": svc.GetServerPlacementRequest(server_id=theirs),
        "SetServerLabels": svc.SetServerLabelsRequest(server_id=theirs, labels={"a": "b"}),
        "CordonServer": svc.CordonServerRequest(server_id=theirs),
        "UncordonServer": svc.UncordonServerRequest(server_id=theirs),
        "DrainServer": svc.DrainServerRequest(server_id=theirs),
        "UndrainServer": svc.UndrainServerRequest(server_id=theirs),
        "AssignServerPool": svc.AssignServerPoolRequest(server_id=mine, pool_id=their_pool.id),
        "DeletePool": svc.DeletePoolRequest(pool_id=their_pool.id),
    }
    for method, request in calls.items():
        assert (await deploy.fails(method, request, me)).code() == grpc.StatusCode.NOT_FOUND, method
    unknown = svc.GetServerPlacementRequest(server_id=str(uuid.uuid4()))
    assert (await deploy.fails("GetServerPlacement", unknown, me)).code() == grpc.StatusCode.NOT_FOUND
    assert not (await _placement(deploy, other, theirs)).cordoned
    assert list((await deploy.call("ListPools", svc.ListPoolsRequest(), me)).pools) == []
