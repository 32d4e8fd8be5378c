"""A cancel racing a heartbeat has exactly one winner, under any interleaving."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import grpc
import pytest
from switchyard.mutations.v1 import mutations_pb2 as pb
from switchyard.mutations.v1 import mutations_service_pb2 as svc

pytestmark = pytest.mark.integration

LANES = 8
ROUNDS = 25  # 8 lanes x 25 rounds = 200 races


async def _cancel(mutations: Any, org: str, mutation_id: str) -> bool:
    try:
        response = await mutations.call(
            "CancelMutation", svc.CancelMutationRequest(mutation_id=mutation_id), mutations.owner(org)
        )
    except grpc.aio.AioRpcError as error:
        refused = (error.code(), mutations.error_fields(error))
    else:
        return bool(response.cancelled)
    assert refused == (
        grpc.StatusCode.FAILED_PRECONDITION,
        {"cancelled": False, "reason": "already_delivered"},
    )
    return False


async def _after(delay: float, call: Any) -> Any:
    await asyncio.sleep(delay)
    return await call


async def _lane(mutations: Any, rng: random.Random) -> list[tuple[str, bool, bool]]:
    """Each round: enqueue, then race a cancel against the lane's only heartbeat, in a random order."""
    org = mutations.new_org()
    host = await mutations.new_host(org)
    outcomes: list[tuple[str, bool, bool]] = []
    previous: tuple[str, ...] = ()
    for _ in range(ROUNDS):
        queued = await mutations.enqueue(org, host)
        # A random head start for either side spreads the interleavings over both outcomes; the cancel's is
        # longer because the beat does more work before its UPDATE.
        cancel = _after(rng.uniform(0, 0.008), _cancel(mutations, org, queued.id))
        # ACKing the last round's delivery keeps each beat's answer to this round's mutation.
        beat = _after(rng.uniform(0, 0.002), mutations.beat(org, host, applied=previous))
        first, second = (cancel, beat) if rng.random() < 0.5 else (beat, cancel)
        results = await asyncio.gather(first, second)
        cancelled, response = (results[0], results[1]) if first is cancel else (results[1], results[0])
        delivered = queued.id in {m.id for m in response.pending_mutations}
        outcomes.append((queued.id, cancelled, delivered))
        previous = (queued.id,) if delivered else ()
    final = {m.id: m for m in await mutations.history(org, host, limit=500)}
    for mutation_id, cancelled, _ in outcomes:
        stored = final[mutation_id]
        if cancelled:
            assert stored.status == pb.MUTATION_STATUS_CANCELLED
            assert not stored.HasField("delivered_at")
        else:
            assert stored.status in (pb.MUTATION_STATUS_DELIVERED, pb.MUTATION_STATUS_APPLIED)
            assert stored.HasField("delivered_at")
            assert not stored.HasField("cancelled_at")
    return outcomes


async def test_200_cancel_heartbeat_races_each_have_exactly_one_winner(mutations) -> None:
    rng = random.Random()  # noqa: S311 - interleavings, not secrets
    seeds = [rng.random() for _ in range(LANES)]
    lanes = await asyncio.gather(*(_lane(mutations, random.Random(seed)) for seed in seeds))  # noqa: S311
    outcomes = [o for lane in lanes for o in lane]
    assert len(outcomes) == 200
    for mutation_id, cancelled, delivered in outcomes:
        # Cancelled and never delivered, or delivered and the cancel refused: never both, never neither.
        assert cancelled != delivered, mutation_id
