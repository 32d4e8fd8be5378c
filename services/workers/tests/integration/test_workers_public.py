"""The public sessions API over real gRPC, PostgreSQL and Redis: who may call it, hashes, pages, prompt,
stop and activity feeds. Stats and phase metrics live in test_workers_public_metrics.py."""

from __future__ import annotations

import hashlib
import importlib.util
import uuid
from pathlib import Path

import grpc
import pytest
from google.protobuf.struct_pb2 import Struct
from sqlalchemy import select, text, update
from switchyard.grpckit.principal import Principal
from switchyard.workers.db.models import Session
from switchyard.workers.v1 import workers_service_pb2 as svc

pytestmark = pytest.mark.integration

MIGRATION = (
    Path(__file__).parents[2]
    / "src/switchyard/workers/db/migrations/versions/20261201_0002_public_sessions.py"
)


def member(org: str, role: str = "user") -> Principal:
    """A signed-in member of ``org`` with ``role``."""
    return Principal(kind="user", user_id=str(uuid.uuid4()), tenant_id=org, role=role, token_id="t")


def spec(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()[:16]


def guide(session_id: str) -> str:
    return hashlib.sha256(f"session:{session_id}".encode()).hexdigest()[:32]


def stop_req(ref: str) -> svc.StopPublicSessionRequest:
    return svc.StopPublicSessionRequest(session_ref=ref)


def prompt_req(ref: str, prompt: str = "try again") -> svc.SendSessionPromptRequest:
    return svc.SendSessionPromptRequest(session_ref=ref, prompt=prompt)


async def _running(workers, org=None, **fields):  # type: ignore[no-untyped-def]
    reg = await workers.register(org)
    session = await workers.queue(reg.org, **fields)
    assert [w.session_id for w in (await workers.poll(reg)).work] == [session.id]
    await workers.status(reg, session.id, "running")
    return reg, session


async def _sql(workers, statement) -> None:  # type: ignore[no-untyped-def]
    async with workers.server.deps.sessions() as s, s.begin():
        await s.execute(statement)


async def test_members_read_admins_and_keys_write_others_are_refused(workers) -> None:
    reg, session = await _running(workers)
    get = svc.GetPublicSessionRequest(session_ref=session.id)
    assert (await workers.call("GetPublicSession", get, member(reg.org))).session.status == "working"
    assert (await workers.call("GetPublicSession", get, reg.key)).session.id == session.id
    for caller in (reg.worker, Principal(kind="anonymous"), Principal(kind="user", user_id="u")):
        denied = await workers.fails("GetPublicSession", get, caller)
        assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    for method, request in (
        ("StopPublicSession", stop_req(session.id)),
        ("SendSessionPrompt", prompt_req(session.id)),
    ):
        refused = await workers.fails(method, request, member(reg.org))
        assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
    prompted = await workers.call("SendSessionPrompt", prompt_req(session.id), reg.key)
    assert (prompted.delivered, prompted.session_status) == (True, "working")
    stopped = await workers.call("StopPublicSession", stop_req(session.id), member(reg.org, "owner"))
    assert (stopped.stopped, stopped.previous_status, stopped.new_status) == (True, "working", "stopped")


async def test_another_orgs_session_is_not_found_whatever_the_form(workers) -> None:
    reg, session = await _running(workers)
    stranger = workers.admin(workers.org())
    for ref in (session.id, spec(session.id), guide(session.id)):
        calls = (
            ("GetPublicSession", svc.GetPublicSessionRequest(session_ref=ref)),
            ("ListSessionActivities", svc.ListSessionActivitiesRequest(session_ref=ref)),
            ("SendSessionPrompt", prompt_req(ref)),
            ("StopPublicSession", stop_req(ref)),
        )
        for method, request in calls:
            error = await workers.fails(method, request, stranger)
            assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, "Session not found")
    listed = await workers.call("ListPublicSessions", svc.ListPublicSessionsRequest(), stranger)
    assert list(listed.sessions) == []
    # Untouched by the stranger.
    assert (
        await workers.call("GetPublicSession", svc.GetPublicSessionRequest(session_ref=session.id), reg.key)
    ).session.status == "working"


async def test_raw_id_spec_hash_and_guide_hash_name_the_same_session(workers) -> None:
    org = workers.org()
    extras = {"branch": "feat/x", "title": "Fix the login"}
    body = Struct()
    body.update(extras)
    session = await workers.queue(org, extras=body, project_name="web", project_id="p-web")
    for ref in (session.id, spec(session.id), guide(session.id)):
        found = await workers.call(
            "GetPublicSession", svc.GetPublicSessionRequest(session_ref=ref), member(org)
        )
        s = found.session
        assert (s.id, s.hash, s.identifier, s.status, s.work_type) == (
            session.id,
            spec(session.id),
            "ENG-1",
            "queued",
            "development",
        )
        assert (s.branch, s.issue_title, s.project_name, s.worker_id) == (
            "feat/x",
            "Fix the login",
            "web",
            "",
        )
        assert s.HasField("created_at")
        assert s.HasField("queued_at")
        assert not s.HasField("started_at")
        assert s.duration_ms == 0
    unknown = await workers.fails(
        "GetPublicSession", svc.GetPublicSessionRequest(session_ref="f" * 16), member(org)
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    empty = await workers.fails("GetPublicSession", svc.GetPublicSessionRequest(), member(org))
    assert (empty.code(), empty.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "sessionId is required")


async def test_migration_backfill_computes_the_same_hashes(workers) -> None:
    org = workers.org()
    session = await workers.queue(org)
    await _sql(workers, update(Session).where(Session.id == session.id).values(spec_hash="", guide_hash=""))
    loaded = importlib.util.spec_from_file_location("public_sessions_migration", MIGRATION)
    assert loaded
    assert loaded.loader
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    await _sql(workers, text(module._BACKFILL + " WHERE id = :id").bindparams(id=session.id))
    async with workers.server.deps.reads() as s:
        row = (
            await s.execute(select(Session.spec_hash, Session.guide_hash).where(Session.id == session.id))
        ).one()
    assert tuple(row) == (spec(session.id), guide(session.id))


async def test_list_pages_newest_first_and_filters(workers) -> None:
    reg = await workers.register(capacity=1)
    org = reg.org
    made = [
        await workers.queue(org, project_id="p1" if i % 2 else "p2", project_name=f"name{i % 2}")
        for i in range(5)
    ]
    await workers.poll(reg)  # claims the first queued (same priority: arrival order)
    reader = member(org)
    seen, cursor, pages = [], "", 0
    while True:
        page = await workers.call(
            "ListPublicSessions", svc.ListPublicSessionsRequest(limit=2, cursor=cursor), reader
        )
        seen += [s.id for s in page.sessions]
        pages += 1
        cursor = page.next_cursor
        if not cursor:
            break
    assert pages == 3
    assert seen == [s.id for s in reversed(made)]
    working = await workers.call(
        "ListPublicSessions", svc.ListPublicSessionsRequest(status="working"), reader
    )
    assert [(s.id, s.status, s.worker_id) for s in working.sessions] == [
        (made[0].id, "working", reg.worker_id)
    ]
    queued = await workers.call("ListPublicSessions", svc.ListPublicSessionsRequest(status="queued"), reader)
    assert len(queued.sessions) == 4
    by_project = await workers.call(
        "ListPublicSessions", svc.ListPublicSessionsRequest(project_id="p1"), reader
    )
    assert [s.id for s in by_project.sessions] == [made[3].id, made[1].id]
    by_name = await workers.call(
        "ListPublicSessions", svc.ListPublicSessionsRequest(project_name="name0"), reader
    )
    assert [s.id for s in by_name.sessions] == [made[4].id, made[2].id, made[0].id]
    # A project-scoped org key sees only its projects.
    scoped = workers.org_key(org, projects=("p2",))
    assert (
        len((await workers.call("ListPublicSessions", svc.ListPublicSessionsRequest(), scoped)).sessions) == 3
    )
    hidden = await workers.fails(
        "GetPublicSession", svc.GetPublicSessionRequest(session_ref=made[1].id), scoped
    )
    assert hidden.code() == grpc.StatusCode.NOT_FOUND
    for request, field in (
        (svc.ListPublicSessionsRequest(limit=101), "limit"),
        (svc.ListPublicSessionsRequest(limit=-1), "limit"),
        (svc.ListPublicSessionsRequest(limit=0), "limit"),
        (svc.ListPublicSessionsRequest(cursor="not a cursor!"), "cursor"),
        (svc.ListPublicSessionsRequest(cursor="bm9wZQ"), "cursor"),
        (svc.ListPublicSessionsRequest(status="pending"), "status"),
    ):
        error = await workers.fails("ListPublicSessions", request, reader)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (error.details() or "").startswith(field)


async def test_prompt_requeues_a_terminal_session_behind_its_issue_lock(workers) -> None:
    reg = await workers.register(capacity=2)
    first = await workers.queue(reg.org, issue="issue-A")
    await workers.poll(reg)
    await workers.status(reg, first.id, "running")
    await workers.status(reg, first.id, "completed", total_cost_usd=0.5)
    second = await workers.queue(reg.org, issue="issue-A")
    assert [w.session_id for w in (await workers.poll(reg)).work] == [second.id]

    result = await workers.call("SendSessionPrompt", prompt_req(spec(first.id), "do it again"), reg.key)
    assert (result.delivered, result.session_id, result.session_status) == (True, first.id, "queued")
    assert result.prompt_id
    state = (
        await workers.call("GetSessionStatus", svc.GetSessionStatusRequest(session_id=first.id), reg.key)
    ).session
    assert (state.status, state.priority, state.prompt_context, state.worker_id) == (
        "pending",
        2,
        "do it again",
        "",
    )
    assert not state.HasField("finished_at")
    assert state.total_cost_usd == 0.5
    # The issue is busy with the second session: the re-queued one waits parked, then is promoted.
    assert list((await workers.poll(reg)).work) == []
    await workers.status(reg, second.id, "running")
    await workers.status(reg, second.id, "completed")
    polled = (await workers.poll(reg)).work
    assert [(w.session_id, w.prompt, w.priority) for w in polled] == [(first.id, "do it again", 2)]


async def test_prompt_reprioritises_pending_work(workers) -> None:
    reg = await workers.register(capacity=1)
    ahead = await workers.queue(reg.org, priority=3)
    behind = await workers.queue(reg.org, priority=4)
    result = await workers.call(
        "SendSessionPrompt", prompt_req(guide(behind.id), "urgent now"), member(reg.org, "admin")
    )
    assert result.session_status == "queued"
    polled = (await workers.poll(reg)).work
    assert [(w.session_id, w.priority, w.prompt) for w in polled] == [(behind.id, 2, "urgent now")]
    assert ahead.id != behind.id


async def test_prompt_to_an_active_session_is_an_inbox_directive(workers) -> None:
    reg, session = await _running(workers)
    result = await workers.call("SendSessionPrompt", prompt_req(session.id, "also add tests"), reg.key)
    assert result.session_status == "working"
    messages = (await workers.poll(reg)).inbox_messages
    assert [(m.type, m.lane, m.session_id) for m in messages] == [("directive", "normal", session.id)]
    payload = dict(messages[0].payload)
    assert (payload["prompt"], payload["promptId"]) == ("also add tests", result.prompt_id)
    state = (
        await workers.call("GetSessionStatus", svc.GetSessionStatusRequest(session_id=session.id), reg.key)
    ).session
    assert (state.status, state.prompt_context) == ("running", "do it")
    feed = await workers.call(
        "ListSessionActivities", svc.ListSessionActivitiesRequest(session_ref=session.id), member(reg.org)
    )
    assert [(a.type, a.content) for a in feed.activities] == [("prompt", "also add tests")]
    empty = await workers.fails("SendSessionPrompt", prompt_req(session.id, "   "), reg.key)
    assert (empty.code(), empty.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "prompt is required")


async def test_stop_releases_everything_promotes_and_tells_the_worker(workers, redis) -> None:
    reg, session = await _running(workers, issue="issue-S", repository="github.com/acme/app")
    reserve = svc.ReserveFilesRequest(session_id=session.id, file_paths=["a.py"])
    assert list((await workers.call("ReserveFiles", reserve, reg.worker)).reserved) == ["a.py"]
    parked = await workers.queue(reg.org, issue="issue-S")
    assert await redis.get(f"workers:issue-lock:{reg.org}:issue-S") in (session.id, session.id.encode())

    stopped = await workers.call("StopPublicSession", stop_req(guide(session.id)), reg.key)
    assert (stopped.stopped, stopped.session_id, stopped.previous_status, stopped.new_status) == (
        True,
        session.id,
        "working",
        "stopped",
    )
    assert await redis.exists(f"workers:files:{reg.org}:github.com/acme/app:a.py") == 0
    # The parked work took the issue lock and the queue.
    assert await redis.get(f"workers:issue-lock:{reg.org}:issue-S") in (parked.id, parked.id.encode())
    assert await redis.zscore(f"workers:queue:{reg.org}", parked.id) is not None
    # The worker still holds the session until it reads the urgent stop message.
    polled = await workers.poll(reg)
    assert [(m.type, m.lane) for m in polled.inbox_messages] == [("stop", "urgent")]
    assert [w.session_id for w in polled.work] == [parked.id]
    assert session.id in {
        m.decode() if isinstance(m, bytes) else m
        for m in await redis.smembers(f"workers:worker:{reg.worker_id}:sessions")
    }
    await workers.status(reg, session.id, "stopped")
    assert not await redis.sismember(f"workers:worker:{reg.worker_id}:sessions", session.id)

    again = await workers.call("StopPublicSession", stop_req(session.id), reg.key)
    assert (again.stopped, again.previous_status, again.new_status) == (False, "stopped", "stopped")
    feed = await workers.call(
        "ListSessionActivities", svc.ListSessionActivitiesRequest(session_ref=session.id), reg.key
    )
    assert [(a.type, a.content) for a in feed.activities] == [("stop", "Stop signal received")]
    assert feed.session_status == "stopped"


async def test_stopping_queued_work_drops_it_from_the_queue(workers, redis) -> None:
    org = workers.org()
    session = await workers.queue(org)
    result = await workers.call("StopPublicSession", stop_req(session.id), workers.admin(org))
    assert (result.stopped, result.previous_status) == (True, "queued")
    assert await redis.zscore(f"workers:queue:{org}", session.id) is None
    assert await redis.exists(f"workers:inbox:{session.id}:urgent") == 0


async def test_activity_feed_pages_with_a_stable_cursor(workers) -> None:
    reg, session = await _running(workers)
    for i in range(3):
        activity = svc.PostActivityRequest(session_id=session.id, worker_id=reg.worker_id)
        activity.activity.type = "thought"
        activity.activity.content = f"step {i}"
        await workers.call("PostActivity", activity, reg.worker)
    reader = member(reg.org)
    first = await workers.call(
        "ListSessionActivities",
        svc.ListSessionActivitiesRequest(session_ref=spec(session.id), limit=2),
        reader,
    )
    assert [(a.type, a.content) for a in first.activities] == [("thought", "step 0"), ("thought", "step 1")]
    assert first.session_status == "working"
    second = await workers.call(
        "ListSessionActivities",
        svc.ListSessionActivitiesRequest(session_ref=session.id, cursor=first.cursor),
        reader,
    )
    assert [a.content for a in second.activities] == ["step 2"]
    assert all(a.created_at.seconds > 0 for a in second.activities)
    idle = await workers.call(
        "ListSessionActivities",
        svc.ListSessionActivitiesRequest(session_ref=session.id, cursor=second.cursor),
        reader,
    )
    assert (list(idle.activities), idle.cursor) == ([], second.cursor)
    progress = svc.PostProgressRequest(
        session_id=session.id, worker_id=reg.worker_id, milestone="tests", message="green"
    )
    await workers.call("PostProgress", progress, reg.worker)
    later = await workers.call(
        "ListSessionActivities",
        svc.ListSessionActivitiesRequest(session_ref=session.id, cursor=idle.cursor),
        reader,
    )
    assert [(a.type, a.content) for a in later.activities] == [("progress", "green")]
    for request in (
        svc.ListSessionActivitiesRequest(session_ref=session.id, cursor="%%%"),
        svc.ListSessionActivitiesRequest(session_ref=session.id, limit=201),
    ):
        error = await workers.fails("ListSessionActivities", request, reader)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
