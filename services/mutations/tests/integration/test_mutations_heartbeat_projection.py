"""workers' "mutations open" projection, which lets an idle heartbeat skip the mutations service.

Real mutations and workers servers: an enqueue tells workers at once (TrackMutations), the MUTATIONS
events close what is applied, failed or cancelled, and the repair pass heals a lost projection.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import grpc
import nats
import pytest
from switchyard.mutations.v1 import events_pb2 as mevents
from switchyard.mutations.v1 import mutations_pb2 as pb
from switchyard.mutations.v1 import mutations_service_pb2 as svc
from switchyard.workers.v1 import workers_service_pb2 as wsvc

pytestmark = pytest.mark.integration

WAIT_SECONDS = 15.0


async def flagged(mutations: Any, org: str, host: str) -> bool:
    """What the worker's own heartbeat says about open mutations."""
    beat = await mutations.workers.Heartbeat(
        wsvc.HeartbeatRequest(worker_id=host, active_count=0),
        metadata=mutations._metadata(mutations.worker(org, host)),
        timeout=15,
    )
    return bool(beat.mutations_pending)


async def settles(mutations: Any, org: str, host: str, expected: bool) -> None:
    """Wait until the projection (fed by the event consumer) says ``expected``."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while await flagged(mutations, org, host) != expected:
        assert asyncio.get_running_loop().time() < deadline, f"projection never became {expected}"
        await asyncio.sleep(0.05)


async def track(mutations: Any, principal: Any, *marks: wsvc.TrackedMutation) -> Any:
    return await mutations.workers.TrackMutations(
        wsvc.TrackMutationsRequest(mutations=list(marks)), metadata=mutations._metadata(principal), timeout=15
    )


async def test_an_enqueue_flags_the_host_before_the_next_beat(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    other = await mutations.new_host(org)
    assert not await flagged(mutations, org, host)
    queued = await mutations.enqueue(org, host)
    # No waiting: the enqueue reported it synchronously, so the very next beat asks for delivery.
    assert await flagged(mutations, org, host)
    assert not await flagged(mutations, org, other)
    delivered = await mutations.beat(org, host)
    assert [m.id for m in delivered.pending_mutations] == [queued.id]
    assert await flagged(mutations, org, host), "delivered but unacknowledged stays open"
    await mutations.beat(org, host, applied=(queued.id,))
    await settles(mutations, org, host, False)


async def test_failed_and_cancelled_mutations_close_and_others_keep_the_flag(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    first = await mutations.enqueue(org, host)
    second = await mutations.enqueue(org, host, "modelAccess.clear", workload="")
    await mutations.call(
        "CancelMutation", svc.CancelMutationRequest(mutation_id=second.id), mutations.owner(org)
    )
    await mutations.beat(org, host)
    await mutations.beat(org, host, failures={first.id: "unknown project"})
    history = {m.id: m.status for m in await mutations.history(org, host)}
    assert history == {
        first.id: pb.MUTATION_STATUS_FAILED,
        second.id: pb.MUTATION_STATUS_CANCELLED,
    }
    await settles(mutations, org, host, False)
    third = await mutations.enqueue(org, host)
    assert await flagged(mutations, org, host)
    await mutations.beat(org, host)
    await mutations.beat(org, host, applied=(third.id,))
    await settles(mutations, org, host, False)


async def test_the_repair_pass_restores_a_lost_projection(mutations, redis) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    await mutations.enqueue(org, host)
    assert await flagged(mutations, org, host)
    await redis.delete(f"workers:worker:{host}:mutations")  # e.g. a Redis flush on workers' side
    assert not await flagged(mutations, org, host)
    await mutations.server.service.repair_markers()
    assert await flagged(mutations, org, host)


async def test_a_closed_mutation_is_never_reopened(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    queued = await mutations.enqueue(org, host)
    await mutations.beat(org, host)
    await mutations.beat(org, host, applied=(queued.id,))
    await settles(mutations, org, host, False)
    # A late "open" (a redelivered enqueued event, a repair pass that read before the ACK) changes nothing.
    late = await track(
        mutations, mutations.service(), wsvc.TrackedMutation(worker_id=host, mutation_id=queued.id, open=True)
    )
    assert late.tracked == 0
    assert not await flagged(mutations, org, host)


async def test_the_event_consumer_alone_keeps_the_projection(mutations, nats_url: str) -> None:
    # Events published as the mutations relay does, for a mutation workers was never told about directly.
    org = mutations.new_org()
    host = await mutations.new_host(org)
    mutation = pb.Mutation(
        id=f"mut_{uuid.uuid4().hex[:24]}", org_id=org, worker_host_id=host, op="project.add"
    )
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        payload = mevents.MutationChanged(mutation=mutation).SerializeToString()
        await js.publish("mutations.mutation.enqueued", payload, stream="MUTATIONS")
        await settles(mutations, org, host, True)
        await js.publish("mutations.mutation.cancelled", payload, stream="MUTATIONS")
        await settles(mutations, org, host, False)
    finally:
        await client.drain()


async def test_only_services_track_and_input_is_checked(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    mark = wsvc.TrackedMutation(worker_id=host, mutation_id="mut_x", open=True)
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await track(mutations, mutations.worker(org, host), mark)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as empty:
        await track(mutations, mutations.service(), wsvc.TrackedMutation(worker_id=host, open=True))
    assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "mutationId" in (empty.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as too_many:
        await track(mutations, mutations.service(), *([mark] * 1001))
    assert too_many.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert not await flagged(mutations, org, host)
