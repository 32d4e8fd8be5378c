"""DeliverOnHeartbeat: first delivery, re-sends until ACKed, ACKs, host status, who may beat."""

from __future__ import annotations

import grpc
import pytest
from switchyard.mutations.v1 import mutations_pb2 as pb
from switchyard.mutations.v1 import mutations_service_pb2 as svc

pytestmark = pytest.mark.integration


async def test_first_delivery_stamps_delivered_at_and_resends_until_acked(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    first = await mutations.enqueue(org, host)
    second = await mutations.enqueue(org, host, "session.kill", sessionId="s1", reason="stuck")
    beat = await mutations.beat(org, host)
    assert [m.id for m in beat.pending_mutations] == [first.id, second.id]
    sent = beat.pending_mutations[1]
    assert (sent.op, dict(sent.params)) == ("session.kill", {"sessionId": "s1", "reason": "stuck"})
    assert sent.requested_by == second.requested_by
    assert sent.requested_at == second.created_at
    stored = {m.id: m for m in await mutations.history(org, host)}
    assert all(
        m.status == pb.MUTATION_STATUS_DELIVERED and m.HasField("delivered_at") for m in stored.values()
    )
    again = await mutations.beat(org, host)
    assert [m.id for m in again.pending_mutations] == [first.id, second.id]
    # Re-sending does not move the first delivery's stamp.
    assert {m.id: m.delivered_at for m in await mutations.history(org, host)} == {
        k: v.delivered_at for k, v in stored.items()
    }


async def test_acks_move_mutations_to_applied_or_failed(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    good = await mutations.enqueue(org, host)
    bad = await mutations.enqueue(org, host, "modelAccess.set", workload="nope", policy={"matrix": {}})
    await mutations.beat(org, host)
    beat = await mutations.beat(org, host, applied=(good.id,), failures={bad.id: "unknown workload key"})
    assert list(beat.pending_mutations) == []
    stored = {m.id: m for m in await mutations.history(org, host)}
    assert stored[good.id].status == pb.MUTATION_STATUS_APPLIED
    assert stored[good.id].HasField("applied_at")
    assert stored[bad.id].status == pb.MUTATION_STATUS_FAILED
    assert stored[bad.id].failure == "unknown workload key"


async def test_a_mutation_queued_after_a_beat_is_delivered_on_the_next(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    first = await mutations.enqueue(org, host)
    await mutations.beat(org, host)
    second = await mutations.enqueue(org, host)
    beat = await mutations.beat(org, host, applied=(first.id,))
    assert [m.id for m in beat.pending_mutations] == [second.id]


async def test_acks_for_unknown_undelivered_or_other_hosts_mutations_are_ignored(mutations) -> None:
    org = mutations.new_org()
    host, neighbour = await mutations.new_host(org), await mutations.new_host(org)
    theirs = await mutations.enqueue(org, neighbour)
    await mutations.beat(org, neighbour)
    await mutations.beat(org, host)
    mine = await mutations.enqueue(org, host)
    beat = await mutations.beat(
        org, host, applied=(theirs.id, "mut_doesnotexist", mine.id), failures={theirs.id: "x"}
    )
    # ``mine`` was still pending when the ACK arrived, so that ACK cannot be for it: it is delivered now.
    assert [m.id for m in beat.pending_mutations] == [mine.id]
    [neighbours] = await mutations.history(org, neighbour)
    assert neighbours.status == pb.MUTATION_STATUS_DELIVERED
    assert [m.id for m in (await mutations.beat(org, neighbour)).pending_mutations] == [theirs.id]


async def test_pool_deleted_sets_host_status_until_acknowledged(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    assert not (await mutations.beat(org, host)).HasField("host_status")
    pool = await mutations.enqueue(
        org, host, "pool.deleted", poolId="pool-1", candidatePoolIds=["pool-2", "pool-3"]
    )
    for _ in range(2):
        beat = await mutations.beat(org, host)
        assert beat.HasField("host_status")
        assert beat.host_status.status == "pool_deleted"
        assert list(beat.host_status.candidate_pool_ids) == ["pool-2", "pool-3"]
    after = await mutations.beat(org, host, applied=(pool.id,))
    assert not after.HasField("host_status")
    assert list(after.pending_mutations) == []


async def test_a_worker_beats_only_as_itself(mutations) -> None:
    org = mutations.new_org()
    host, other = await mutations.new_host(org), await mutations.new_host(org)
    await mutations.enqueue(org, other)
    request = svc.DeliverOnHeartbeatRequest(worker_host_id=other)
    for principal in (mutations.worker(org, host), mutations.owner(org), None):
        error = await mutations.fails("DeliverOnHeartbeat", request, principal)
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    [stored] = await mutations.history(org, other)
    assert stored.status == pb.MUTATION_STATUS_PENDING


async def test_a_worker_of_another_org_gets_nothing_for_a_reused_host_id(mutations) -> None:
    org, other = mutations.new_org(), mutations.new_org()
    host = await mutations.new_host(org)
    await mutations.enqueue(org, host)
    beat = await mutations.beat(other, host)
    assert list(beat.pending_mutations) == []
    [stored] = await mutations.history(org, host)
    assert stored.status == pb.MUTATION_STATUS_PENDING


async def test_a_service_may_deliver_on_a_workers_behalf(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    queued = await mutations.enqueue(org, host)
    response = await mutations.call(
        "DeliverOnHeartbeat", svc.DeliverOnHeartbeatRequest(worker_host_id=host), mutations.service()
    )
    assert [m.id for m in response.pending_mutations] == [queued.id]
