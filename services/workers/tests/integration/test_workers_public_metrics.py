"""The public sessions API over real gRPC, PostgreSQL and Redis: org stats and phase metrics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import update
from switchyard.grpckit.principal import Principal
from switchyard.workers.db.models import Session
from switchyard.workers.v1 import workers_service_pb2 as svc

pytestmark = pytest.mark.integration


def member(org: str, role: str = "user") -> Principal:
    """A signed-in member of ``org`` with ``role``."""
    return Principal(kind="user", user_id=str(uuid.uuid4()), tenant_id=org, role=role, token_id="t")


def prompt_req(ref: str, prompt: str = "try again") -> svc.SendSessionPromptRequest:
    return svc.SendSessionPromptRequest(session_ref=ref, prompt=prompt)


async def _sql(workers, statement) -> None:  # type: ignore[no-untyped-def]
    async with workers.server.deps.sessions() as s, s.begin():
        await s.execute(statement)


async def test_stats_count_live_workers_capacity_queue_and_today(workers, redis) -> None:
    big = await workers.register(capacity=3)
    org = big.org
    small = await workers.register(org, capacity=2)
    for _ in range(4):
        await workers.queue(org)
    claimed = [w.session_id for w in (await workers.poll(big)).work]
    assert len(claimed) == 3
    await workers.status(big, claimed[0], "running")
    await workers.status(big, claimed[0], "completed", total_cost_usd=1.5)
    # One more, created "yesterday", finished with a cost: all-time only.
    old = await workers.queue(org)
    yesterday = datetime.now(UTC) - timedelta(days=1, hours=1)
    await _sql(
        workers,
        update(Session)
        .where(Session.id == old.id)
        .values(created_at=yesterday, status="completed", finished_at=yesterday, total_cost_usd=2.0),
    )
    await redis.zrem(f"workers:queue:{org}", old.id)
    beat = svc.HeartbeatRequest(worker_id=small.worker_id, status="idle", active_count=1)
    await workers.call("Heartbeat", beat, small.worker)

    stats = await workers.call("GetPublicStats", svc.GetPublicStatsRequest(), member(org))
    assert (stats.workers_online, stats.agents_working, stats.queue_depth) == (2, 2, 1)
    # big: 3 - 2 held; small: 2 - 1 active.
    assert (stats.available_capacity, stats.completed_today, stats.session_count_today) == (2, 1, 4)
    assert (stats.total_cost_today, stats.total_cost_all_time) == (1.5, 3.5)
    assert stats.server_time.seconds > 0

    await workers.call(
        "DeregisterWorker", svc.DeregisterWorkerRequest(worker_id=small.worker_id), small.worker
    )
    await redis.delete(f"workers:worker:{big.worker_id}")  # what the TTL does when beats stop
    after = await workers.call("GetPublicStats", svc.GetPublicStatsRequest(), big.key)
    assert (after.workers_online, after.available_capacity) == (0, 0)


def _ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


async def test_phase_metrics_aggregate_outcomes_cycle_times_cost_and_rework(workers) -> None:
    reg = await workers.register(capacity=5)
    org = reg.org
    now = datetime.now(UTC)
    # development: issue-1 twice (one rework), issue-2, issue-3.
    seeds = [
        ("issue-1", "completed", 10, 1.0),
        ("issue-1", "completed", 20, 2.0),
        ("issue-2", "failed", 30, 3.0),
        ("issue-3", "pending", None, 0.0),
    ]
    for i, (issue, status, seconds, cost) in enumerate(seeds):
        made = await workers.queue(org, issue=issue)
        queued = now - timedelta(hours=5 - i)
        values = {"created_at": queued, "queued_at": queued, "status": status, "total_cost_usd": cost}
        if seconds is not None:
            values["finished_at"] = queued + timedelta(seconds=seconds)
        await _sql(workers, update(Session).where(Session.id == made.id).values(**values))
    # qa: completed, then a prompt resets it (one rework by prompt).
    qa = await workers.queue(org, issue="issue-9")
    await _sql(workers, update(Session).where(Session.id == qa.id).values(work_type="qa"))
    polled = [w.session_id for w in (await workers.poll(reg)).work]
    assert qa.id in polled
    await workers.status(reg, qa.id, "stopped")
    await workers.call("SendSessionPrompt", prompt_req(qa.id), reg.key)
    # Outside the default 30-day window.
    ancient = await workers.queue(org, issue="issue-1")
    long_ago = now - timedelta(days=40)
    await _sql(
        workers,
        update(Session).where(Session.id == ancient.id).values(created_at=long_ago, queued_at=long_ago),
    )

    reader = member(org)
    phases = (await workers.call("GetPhaseMetrics", svc.GetPhaseMetricsRequest(), reader)).phases
    assert [p.work_type for p in phases] == ["development", "qa"]
    dev, qa_phase = phases
    assert (dev.sessions, dev.completed, dev.failed, dev.stopped) == (4, 2, 1, 0)
    assert (dev.cycle_time_avg_ms, dev.cycle_time_p50_ms) == pytest.approx((20000, 20000))
    assert dev.cycle_time_p90_ms == pytest.approx(28000)
    assert (dev.cost_total_usd, dev.cost_avg_usd) == pytest.approx((6.0, 1.5))
    # issue-1's second development session is rework even though its first is older than the window.
    assert (dev.rework_count, dev.rework_rate) == (2, 0.5)
    assert (qa_phase.sessions, qa_phase.rework_count, qa_phase.rework_rate) == (1, 1, 1.0)
    wide = svc.GetPhaseMetricsRequest(
        **{"from": _ts(now - timedelta(days=60)), "to": _ts(now + timedelta(minutes=5))}
    )
    widened = (await workers.call("GetPhaseMetrics", wide, reader)).phases
    assert (widened[0].sessions, widened[0].rework_count) == (5, 2)
    empty = svc.GetPhaseMetricsRequest(project_id="nope")
    assert list((await workers.call("GetPhaseMetrics", empty, reader)).phases) == []
    backwards = svc.GetPhaseMetricsRequest(**{"from": _ts(now), "to": _ts(now - timedelta(days=1))})
    error = await workers.fails("GetPhaseMetrics", backwards, reader)
    assert (error.code(), error.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "from must be before to")
