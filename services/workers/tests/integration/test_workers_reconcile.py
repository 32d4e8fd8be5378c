"""The queue reconciler: pending sessions PostgreSQL holds but Redis lost are queued again, once."""

from __future__ import annotations

import pytest
from switchyard.workers.domain.sessions.reconcile import reconcile_queue
from switchyard.workers.v1 import workers_service_pb2 as svc

pytestmark = pytest.mark.integration


async def _status(workers, reg, session_id: str) -> str:  # type: ignore[no-untyped-def]
    request = svc.GetSessionStatusRequest(session_id=session_id)
    return str((await workers.call("GetSessionStatus", request, reg.key)).session.status)


async def test_a_lost_queue_is_rebuilt_with_the_original_order(workers, redis) -> None:
    reg = await workers.register(capacity=5)
    later = await workers.queue(reg.org, priority=4)
    urgent = await workers.queue(reg.org, priority=1)
    scores = dict(await redis.zrange(f"workers:queue:{reg.org}", 0, -1, withscores=True))
    await redis.delete(f"workers:queue:{reg.org}")  # a Redis flush, or a crash before the push
    assert (await workers.poll(reg)).work == []

    await reconcile_queue(workers.server.deps, grace_seconds=0)
    assert dict(await redis.zrange(f"workers:queue:{reg.org}", 0, -1, withscores=True)) == scores
    polled = await workers.poll(reg)
    assert [w.session_id for w in polled.work] == [urgent.id, later.id]


async def test_a_healthy_queue_and_claimed_work_are_left_alone(workers, redis) -> None:
    reg = await workers.register(capacity=1)
    claimed = await workers.queue(reg.org, priority=1)
    waiting = await workers.queue(reg.org, priority=2)
    assert [w.session_id for w in (await workers.poll(reg)).work] == [claimed.id]
    before = await redis.zrange(f"workers:queue:{reg.org}", 0, -1, withscores=True)

    await reconcile_queue(workers.server.deps, grace_seconds=0)
    assert await redis.zrange(f"workers:queue:{reg.org}", 0, -1, withscores=True) == before
    assert [m.decode() for m, _ in before] == [waiting.id]
    assert await _status(workers, reg, claimed.id) == "claimed"


async def test_recent_sessions_get_a_grace_period(workers, redis) -> None:
    reg = await workers.register()
    fresh = await workers.queue(reg.org)
    await redis.delete(f"workers:queue:{reg.org}")
    # Changed a moment ago: its push may still be in flight, so the pass must not touch it yet.
    await reconcile_queue(workers.server.deps, grace_seconds=3600)
    assert await redis.zscore(f"workers:queue:{reg.org}", fresh.id) is None
    await reconcile_queue(workers.server.deps, grace_seconds=0)
    assert await redis.zscore(f"workers:queue:{reg.org}", fresh.id) is not None


async def test_issue_locks_are_respected_when_restoring(workers, redis) -> None:
    reg = await workers.register(capacity=5)
    first = await workers.queue(reg.org, issue="ENG-lock", priority=3)
    second = await workers.queue(reg.org, issue="ENG-lock", priority=1)
    parked_key = f"workers:issue-pending:{reg.org}:ENG-lock"
    assert await redis.zscore(parked_key, second.id) is not None  # waits behind the first
    await redis.delete(f"workers:queue:{reg.org}", parked_key, f"workers:issue-lock:{reg.org}:ENG-lock")

    await reconcile_queue(workers.server.deps, grace_seconds=0)
    # One session per issue at a time: exactly one is queued, the other parked behind it again.
    queued = {m.decode() for m in await redis.zrange(f"workers:queue:{reg.org}", 0, -1)}
    parked = {m.decode() for m in await redis.zrange(parked_key, 0, -1)}
    assert len(queued) == 1
    assert queued | parked == {first.id, second.id}
    assert queued.isdisjoint(parked)
    holder = queued.pop()
    assert (await redis.get(f"workers:issue-lock:{reg.org}:ENG-lock")).decode() == holder
    polled = await workers.poll(reg)
    assert [w.session_id for w in polled.work] == [holder]
    await workers.status(reg, holder, "running")
    await workers.status(reg, holder, "completed")
    promoted = parked.pop()
    assert await redis.zscore(f"workers:queue:{reg.org}", promoted) is not None
