"""Dispatch and the per-session runner against the scripted orchestrator (conftest)."""

from __future__ import annotations

import asyncio

import pytest
from switchyard.donmai import AgentResult, SessionContext

pytestmark = pytest.mark.unit


async def test_poll_dispatches_admitted_work_and_nacks_refusals(server, make_daemon) -> None:
    work = [
        server.work_item("s1", projectName="web"),
        server.work_item("s2", projectName="secret"),
        server.work_item("s3"),
    ]
    work.append(server.work_item("s4"))  # over capacity (2)
    server.on("GET", "/poll", server.ok({"work": work, "inboxMessages": {}, "preClaimed": True}))
    server.on("POST", "/status", server.ok({"updated": True}))
    server.on("POST", "/lock-refresh", server.ok({"refreshed": True}))
    server.on("POST", "/activity", server.ok({"forwarded": False}))
    server.on("POST", "/completion", server.ok({"posted": 1}))
    server.on("POST", "/nack", server.ok({"nacked": True, "requeued": True}))
    daemon = make_daemon()
    await daemon.boot()
    assert await daemon.poll_once() == ["s1", "s3"]
    await daemon.wait_sessions()
    assert daemon.nacked == [("s2", "project not in allowlist"), ("s4", "at capacity")]
    nacks = server.bodies("/nack")
    assert nacks[0] == {"workerId": daemon.worker_id, "reason": "project not in allowlist", "work": work[1]}
    assert server.paths("/claim") == []
    session_posts = [p.split("/", 4)[-1] for p in server.paths() if p.startswith("/api/sessions/s1/")]
    assert session_posts[0] == "status"
    assert session_posts[-2:] == ["completion", "status"]
    assert "lock-refresh" in session_posts
    assert "activity" in session_posts
    s1_statuses = [c.body for c in server.calls if c.path == "/api/sessions/s1/status"]
    assert s1_statuses == [
        {"workerId": daemon.worker_id, "status": "running"},
        {"workerId": daemon.worker_id, "status": "completed"},
    ]
    assert daemon.finished["s1"].outcome == "completed"


async def test_three_lock_strikes_lose_ownership_and_fail_the_session(server, make_daemon, sleeps) -> None:
    server.on("POST", "/status", server.ok({"updated": True}))
    server.on(
        "POST",
        "/lock-refresh",
        server.ok({"refreshed": False}),
        *[server.answer(500)] * 3,
        server.ok({"refreshed": False}),
    )
    server.on("POST", "/completion", server.ok({"posted": 1}))

    async def endless(context: SessionContext) -> str:
        await asyncio.Event().wait()
        return "never"

    daemon = make_daemon(endless)
    await daemon.boot()
    server.on("GET", "/poll", server.ok({"work": [server.work_item("s1")], "preClaimed": True}))
    await daemon.poll_once()
    await daemon.wait_sessions()
    runner = daemon.finished["s1"]
    assert (runner.lost_ownership, runner.outcome) == (True, "failed")
    # Pulse 1: refreshed:false (strike, no retry). Pulse 2: 500 three times (strike). Pulse 3: false.
    assert len(server.paths("/lock-refresh")) == 5
    assert sleeps.slept.count(1.0) == 1
    assert sleeps.slept.count(2.0) == 1
    completion, final = server.bodies("/completion")[0], server.bodies("/status")[-1]
    assert completion["summary"] == "Agent session for ENG-7 ended: failed. lost issue lock ownership"
    assert final["error"] == {"message": "lost issue lock ownership"}


async def test_result_posts_retry_5xx_but_not_4xx(server, make_daemon, sleeps) -> None:
    server.on("POST", "/lock-refresh", server.ok({}))
    server.on("POST", "/activity", server.ok({}))
    server.on("POST", "/completion", server.answer(502), server.answer(502), server.ok({"posted": 1}))
    server.on("POST", "/status", server.ok({"updated": True}), server.answer(409, '{"error": "conflict"}'))

    async def detailed(context: SessionContext) -> AgentResult:
        return AgentResult(summary="  ", total_cost_usd=0.5, input_tokens=10, output_tokens=3)

    daemon = make_daemon(detailed)
    await daemon.boot()
    server.on("GET", "/poll", server.ok({"work": [server.work_item("s1")], "preClaimed": True}))
    await daemon.poll_once()
    await daemon.wait_sessions()
    assert len(server.paths("/completion")) == 3
    assert [s for s in sleeps.slept if s >= 1] == [1.0, 2.0]  # the pulser's 0.01 s ticks aside
    assert server.bodies("/completion")[0]["summary"] == "Agent session for ENG-7 ended: completed."
    assert len(server.paths("/status")) == 2  # running, then completed once: the 409 is not retried
    assert server.bodies("/status")[-1] == {
        "workerId": daemon.worker_id,
        "status": "completed",
        "totalCostUsd": 0.5,
        "inputTokens": 10,
        "outputTokens": 3,
    }


async def test_stop_inbox_message_stops_the_session_and_is_acked(server, make_daemon) -> None:
    for suffix in ("/status", "/lock-refresh", "/completion", "/inbox/ack"):
        server.on("POST", suffix, server.ok({}))
    started = asyncio.Event()

    async def waits(context: SessionContext) -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    daemon = make_daemon(waits)
    await daemon.boot()
    server.on("GET", "/poll", server.ok({"work": [server.work_item("s1")], "preClaimed": True}))
    await daemon.poll_once()
    await started.wait()
    stop = {"id": "1-0", "type": "stop", "sessionId": "s1", "payload": {}, "lane": "urgent", "createdAt": 1}
    server.on(
        "GET", "/poll", server.ok({"work": [], "inboxMessages": {"s1": [stop]}, "hasInboxMessages": True})
    )
    await daemon.poll_once()
    await daemon.wait_sessions()
    assert daemon.finished["s1"].outcome == "stopped"
    assert server.bodies("/inbox/ack") == [{"messageId": "1-0", "lane": "urgent"}]
    assert server.bodies("/status")[-1]["status"] == "stopped"
