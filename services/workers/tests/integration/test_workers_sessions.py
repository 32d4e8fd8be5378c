"""The work queue and the session FSM over real gRPC: priority, pre-claim, nack, transitions, side effects."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.struct_pb2 import Struct
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import text
from switchyard.bus import connect
from switchyard.workers.v1 import events_pb2
from switchyard.workers.v1 import workers_pb2 as pb
from switchyard.workers.v1 import workers_service_pb2 as svc

pytestmark = pytest.mark.integration


async def _state(workers, reg, session_id: str):  # type: ignore[no-untyped-def]
    request = svc.GetSessionStatusRequest(session_id=session_id)
    return (await workers.call("GetSessionStatus", request, reg.key)).session


async def test_poll_pre_claims_by_priority_then_arrival(workers) -> None:
    reg = await workers.register(capacity=10)
    low = await workers.queue(reg.org, priority=5)
    first_high = await workers.queue(reg.org, priority=1)
    mid = await workers.queue(reg.org, priority=3)
    second_high = await workers.queue(reg.org, priority=1)
    polled = await workers.poll(reg)
    assert polled.pre_claimed
    order = [w.session_id for w in polled.work]
    assert order == [first_high.id, second_high.id, mid.id, low.id]
    assert list(polled.claimed_session_ids) == order
    state = await _state(workers, reg, mid.id)
    assert (state.status, state.worker_id) == ("claimed", reg.worker_id)
    assert state.HasField("claimed_at")
    assert (await workers.poll(reg)).work == []


async def test_poll_takes_at_most_free_capacity_and_five(workers) -> None:
    reg = await workers.register(capacity=8)
    for _ in range(7):
        await workers.queue(reg.org)
    await workers.call(
        "Heartbeat", svc.HeartbeatRequest(worker_id=reg.worker_id, active_count=1, max_sessions=8), reg.worker
    )
    assert len((await workers.poll(reg)).work) == 5  # min(8 - 1, 5)
    # The five it holds now count against its capacity even before it reports them active.
    assert len((await workers.poll(reg)).work) == 2
    small = await workers.register(capacity=2)
    for _ in range(3):
        await workers.queue(small.org)
    assert len((await workers.poll(small)).work) == 2


async def test_queued_work_carries_the_daemon_fields(workers) -> None:
    reg = await workers.register()
    extras = Struct()
    extras.update({"ref": "main", "env": {"A": "1"}, "maxDurationSeconds": 600})
    session = await workers.queue(
        reg.org, priority=2, project_name="web", repository="github.com/o/r", extras=extras
    )
    work = (await workers.poll(reg)).work[0]
    assert (work.session_id, work.issue_identifier, work.priority) == (session.id, "ENG-1", 2)
    assert (work.prompt, work.work_type, work.project_name, work.repository) == (
        "do it",
        "development",
        "web",
        "github.com/o/r",
    )
    assert work.extras["ref"] == "main"
    assert work.extras["env"]["A"] == "1"
    assert work.queued_at.ToDatetime().year >= 2025


async def test_poll_skips_other_projects_and_leaves_them_queued(workers) -> None:
    org = workers.org()
    web = await workers.register(org, projects=("web",))
    api_work = await workers.queue(org, project_id="api", priority=1)
    web_work = await workers.queue(org, project_id="web", priority=2)
    assert [w.session_id for w in (await workers.poll(web)).work] == [web_work.id]
    anyone = await workers.register(org)
    assert [w.session_id for w in (await workers.poll(anyone)).work] == [api_work.id]


async def test_queues_are_per_org(workers) -> None:
    reg = await workers.register()
    await workers.queue(workers.org())
    assert (await workers.poll(reg)).work == []


async def test_create_session_validates_and_authorises(workers) -> None:
    org = workers.org()
    bad = await workers.fails(
        "CreateSession", svc.CreateSessionRequest(issue_id="i", priority=7), workers.admin(org)
    )
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "priority" in bad.details()
    missing = await workers.fails("CreateSession", svc.CreateSessionRequest(), workers.admin(org))
    assert "issueId" in missing.details()
    member = workers.admin(org).__class__(kind="user", user_id="u", tenant_id=org, role="user")
    denied = await workers.fails("CreateSession", svc.CreateSessionRequest(issue_id="i"), member)
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    by_key = await workers.call(
        "CreateSession",
        svc.CreateSessionRequest(issue_id="i", session_id="sess-" + org),
        workers.org_key(org),
    )
    assert (by_key.session.status, by_key.session.priority, by_key.session.organization_id) == (
        "pending",
        3,
        org,
    )
    dup = await workers.fails(
        "CreateSession",
        svc.CreateSessionRequest(issue_id="j", session_id="sess-" + org),
        workers.org_key(org),
    )
    assert dup.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_nack_requeues_with_the_original_priority(workers) -> None:
    reg = await workers.register(capacity=1)
    urgent = await workers.queue(reg.org, priority=1)
    later = await workers.queue(reg.org, priority=4)
    assert [w.session_id for w in (await workers.poll(reg)).work] == [urgent.id]
    nack = svc.NackSessionRequest(session_id=urgent.id, worker_id=reg.worker_id, reason="project not allowed")
    response = await workers.call("NackSession", nack, reg.worker)
    assert (response.nacked, response.requeued) == (True, True)
    state = await _state(workers, reg, urgent.id)
    assert (state.status, state.worker_id, state.priority) == ("pending", "", 1)
    # Still ahead of the priority-4 item: it went back with its original score.
    assert [w.session_id for w in (await workers.poll(reg)).work] == [urgent.id]
    again = await workers.call("NackSession", nack, reg.worker)
    assert again.nacked
    other = await workers.register(reg.org)
    stolen = await workers.fails(
        "NackSession", svc.NackSessionRequest(session_id=later.id, worker_id=other.worker_id), reg.worker
    )
    assert stolen.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_fsm_follows_the_daemon_and_refuses_impossible_jumps(workers) -> None:
    reg = await workers.register()
    session = await workers.queue(reg.org)
    await workers.poll(reg)
    running = await workers.status(
        reg, session.id, "running", worktree_path="/w/1", provider_session_id="p-1"
    )
    assert running.updated
    assert (running.session.status, running.session.worktree_path) == ("running", "/w/1")
    repeat = await workers.status(reg, session.id, "running")
    assert (repeat.updated, repeat.session.status, repeat.session.worktree_path) == (True, "running", "/w/1")
    done = await workers.status(
        reg, session.id, "completed", total_cost_usd=1.25, input_tokens=100, output_tokens=50
    )
    assert done.session.status == "completed"
    assert (done.session.total_cost_usd, done.session.input_tokens, done.session.output_tokens) == (
        1.25,
        100,
        50,
    )
    assert done.session.HasField("finished_at")
    assert (await workers.status(reg, session.id, "completed")).session.status == "completed"
    jump = await workers.fails(
        "UpdateSessionStatus",
        svc.UpdateSessionStatusRequest(session_id=session.id, worker_id=reg.worker_id, status="running"),
        reg.worker,
    )
    assert jump.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_fsm_edges(workers) -> None:
    reg = await workers.register(capacity=5)
    ids = [(await workers.queue(reg.org)).id for _ in range(3)]
    await workers.poll(reg)
    too_early = await workers.fails(
        "UpdateSessionStatus",
        svc.UpdateSessionStatusRequest(session_id=ids[0], worker_id=reg.worker_id, status="finalizing"),
        reg.worker,
    )
    assert too_early.code() == grpc.StatusCode.FAILED_PRECONDITION
    for status in ("running", "finalizing", "completed"):
        assert (await workers.status(reg, ids[0], status)).session.status == status
    await workers.status(reg, ids[1], "running")
    assert (await workers.status(reg, ids[1], "stopped")).session.status == "stopped"
    failed = await workers.status(reg, ids[2], "failed", error_message="clone failed")
    assert (failed.session.status, failed.session.error_message) == ("failed", "clone failed")
    bad = await workers.fails(
        "UpdateSessionStatus",
        svc.UpdateSessionStatusRequest(session_id=ids[0], worker_id=reg.worker_id, status="claimed"),
        reg.worker,
    )
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "status" in bad.details()
    no_worker = await workers.fails(
        "UpdateSessionStatus", svc.UpdateSessionStatusRequest(session_id=ids[0], status="running"), reg.worker
    )
    assert "workerId" in no_worker.details()


async def test_status_of_another_workers_session_or_unknown(workers) -> None:
    reg = await workers.register()
    other = await workers.register(reg.org)
    session = await workers.queue(reg.org)
    await workers.poll(reg)
    stolen = await workers.fails(
        "UpdateSessionStatus",
        svc.UpdateSessionStatusRequest(session_id=session.id, worker_id=other.worker_id, status="running"),
        other.worker,
    )
    assert stolen.code() == grpc.StatusCode.PERMISSION_DENIED
    assert stolen.details() == "Session is owned by another worker"
    unknown = await workers.fails(
        "UpdateSessionStatus",
        svc.UpdateSessionStatusRequest(session_id="nope", worker_id=reg.worker_id, status="running"),
        reg.worker,
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    foreign = await workers.register()
    hidden = await workers.fails(
        "GetSessionStatus", svc.GetSessionStatusRequest(session_id=session.id), foreign.worker
    )
    assert hidden.code() == grpc.StatusCode.NOT_FOUND


async def test_terminal_state_releases_claim_and_lock_and_promotes_the_next_issue_work(
    workers, redis
) -> None:
    reg = await workers.register(capacity=5)
    first = await workers.queue(reg.org, issue="ISS-1")
    second = await workers.queue(reg.org, issue="ISS-1")
    lock = f"workers:issue-lock:{reg.org}:ISS-1"
    assert await redis.get(lock) == first.id.encode()
    # The second session waits parked while the first works on the issue.
    assert [w.session_id for w in (await workers.poll(reg)).work] == [first.id]
    queued = svc.GetQueuedSessionRequest(session_id=second.id)
    detail = await workers.call("GetQueuedSession", queued, reg.worker)
    assert (detail.work.session_id, detail.organization_id) == (second.id, reg.org)
    await workers.status(reg, first.id, "running")
    await workers.status(reg, first.id, "completed")
    assert first.id.encode() not in await redis.smembers(f"workers:worker:{reg.worker_id}:sessions")
    assert await redis.get(lock) == second.id.encode()
    assert [w.session_id for w in (await workers.poll(reg)).work] == [second.id]
    gone = await workers.fails("GetQueuedSession", queued, reg.worker)
    assert gone.code() == grpc.StatusCode.NOT_FOUND


async def test_refresh_lock_extends_only_the_holders_lock(workers, redis) -> None:
    reg = await workers.register()
    session = await workers.queue(reg.org, issue="ISS-L")
    await workers.poll(reg)
    lock = f"workers:issue-lock:{reg.org}:ISS-L"
    await redis.expire(lock, 10)
    request = svc.RefreshLockRequest(session_id=session.id, worker_id=reg.worker_id, issue_id="ISS-L")
    assert (await workers.call("RefreshLock", request, reg.worker)).refreshed
    assert await redis.ttl(lock) > 7000
    await redis.set(lock, "someone-else")
    assert not (await workers.call("RefreshLock", request, reg.worker)).refreshed
    missing = await workers.fails(
        "RefreshLock", svc.RefreshLockRequest(session_id=session.id, worker_id=reg.worker_id), reg.worker
    )
    assert "issueId" in missing.details()


async def test_activity_completion_and_progress(workers, workers_server) -> None:
    reg = await workers.register()
    session = await workers.queue(reg.org)
    await workers.poll(reg)
    await workers.status(reg, session.id, "running")
    tool_input = Struct()
    tool_input.update({"command": "ls"})
    action = pb.Activity(type="action", content="listing", tool_name="Bash", tool_input=tool_input)
    posted = await workers.call(
        "PostActivity",
        svc.PostActivityRequest(session_id=session.id, worker_id=reg.worker_id, activity=action),
        reg.worker,
    )
    assert posted.forwarded
    state = await _state(workers, reg, session.id)
    assert (state.last_tool_name, state.tool_call_count) == ("Bash", 1)
    bad = await workers.fails(
        "PostActivity",
        svc.PostActivityRequest(
            session_id=session.id, worker_id=reg.worker_id, activity=pb.Activity(type="shout")
        ),
        reg.worker,
    )
    assert "activity.type" in bad.details()
    summary = ("x" * 9_000 + "\n") * 3
    completion = svc.PostCompletionRequest(
        session_id=session.id, summary=summary, plan_items=[pb.PlanItem(title="ship", state="completed")]
    )
    parts = await workers.call("PostCompletion", completion, reg.worker)
    assert (parts.posted, parts.total_parts) == (3, 3)
    empty = await workers.fails(
        "PostCompletion", svc.PostCompletionRequest(session_id=session.id, summary=" "), reg.worker
    )
    assert empty.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "summary" in empty.details()
    progress = svc.PostProgressRequest(
        session_id=session.id, worker_id=reg.worker_id, milestone="tests", message="green"
    )
    assert (await workers.call("PostProgress", progress, reg.worker)).milestone == "tests"
    async with workers_server.deps.reads() as s:
        rows = (
            await s.execute(
                text(
                    "SELECT kind, length(content) FROM workers.activities WHERE session_id = :s ORDER BY id"
                ),
                {"s": session.id},
            )
        ).all()
    assert [r[0] for r in rows] == ["activity", "completion", "completion", "completion", "progress"]
    assert all(length <= 10_000 for kind, length in rows if kind == "completion")
    assert sum(length for kind, length in rows if kind == "completion") == len(summary)


async def test_status_changes_are_published_once(workers, nats_url) -> None:
    nc = await connect(nats_url, name="workers-test-events")
    try:
        sub = await nc.jetstream().subscribe(
            "workers.session.status_changed",
            stream="WORKERS",
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
        )
        reg = await workers.register()
        session = await workers.queue(reg.org)
        await workers.poll(reg)
        await workers.status(reg, session.id, "running")
        await workers.status(reg, session.id, "running")  # an idempotent repeat publishes nothing
        seen: list[tuple[str, str]] = []
        while True:
            try:
                msg = await sub.next_msg(timeout=2 if seen else 15)
            except TimeoutError:
                break
            event = events_pb2.SessionStatusChanged.FromString(msg.data)
            await msg.ack()
            if event.session_id == session.id:
                seen.append((event.from_status, event.to_status))
        await sub.unsubscribe()
    finally:
        await nc.close()
    assert seen == [("claimed", "running")]
