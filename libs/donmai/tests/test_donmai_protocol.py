"""The daemon's wire behaviour against a scripted orchestrator (reference §8).

The orchestrator here is an in-memory httpx transport that records each request and answers as the
reference says a server may, including answers Switchyard never gives (405 from refresh-token, 5xx,
``refreshed:false``), so every client branch is exercised. The real gateway path is covered by
tests/api/test_api_daemon_lifecycle.py.
"""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from switchyard.donmai import AgentResult, Daemon, DaemonConfig, Project, SessionContext, Timings

pytestmark = pytest.mark.unit

TOKEN = "rsk_live_" + "ab" * 32
BASE = "http://orchestrator.test"
Reply = Callable[[dict[str, Any]], httpx.Response]


@dataclass
class Call:
    method: str
    path: str
    headers: httpx.Headers
    body: Any


@dataclass
class Orchestrator:
    """Routes by ``(method, path suffix)``; a route may be a queue of replies consumed in order."""

    routes: dict[tuple[str, str], list[Reply]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    workers: int = 0

    def on(self, method: str, suffix: str, *replies: Reply) -> None:
        self.routes[(method, suffix)] = list(replies)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.calls.append(Call(request.method, request.url.path, request.headers, body))
        for (method, suffix), replies in self.routes.items():
            if method == request.method and request.url.path.endswith(suffix):
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
                return reply(body or {})
        return httpx.Response(404, json={"error": "no route"})

    def paths(self, suffix: str = "") -> list[str]:
        return [c.path for c in self.calls if c.path.endswith(suffix)]

    def bodies(self, suffix: str) -> list[Any]:
        return [c.body for c in self.calls if c.path.endswith(suffix)]

    def register_reply(self, _body: dict[str, Any]) -> httpx.Response:
        self.workers += 1
        return httpx.Response(
            201,
            json={
                "workerId": f"wkr_{self.workers:016x}",
                "runtimeToken": f"jwt.{self.workers}.sig",
                "heartbeatInterval": 1500,
                "pollInterval": 200,
                "runtimeTokenExpiresAt": "2099-01-01T00:00:00Z",
            },
        )


def ok(body: Any = None, status: int = 200) -> Reply:
    return lambda _request: httpx.Response(status, json=body if body is not None else {})


def answer(status: int, text: str = "") -> Reply:
    return lambda _request: httpx.Response(status, text=text)


class Sleeps:
    """Records every sleep and yields to the loop instead of waiting."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)


def make_daemon(
    tmp_path: Path,
    server: Orchestrator,
    agent: Any = None,
    *,
    max_sessions: int = 2,
    sleeps: Sleeps | None = None,
) -> Daemon:
    config = DaemonConfig(
        orchestrator_url=BASE,
        registration_token=TOKEN,
        hostname="dev-box",
        state_dir=tmp_path / "state",
        max_sessions=max_sessions,
        machine_id="machine-1",
        projects=(Project("web", "github.com/acme/web"),),
        timings=Timings(lock_refresh_interval=0.01),
    )
    http = httpx.AsyncClient(transport=httpx.MockTransport(server.handle))
    return Daemon(config, agent or summary_agent, http=http, sleep=sleeps or Sleeps())


async def summary_agent(context: SessionContext) -> str:
    await context.activity("thought", "working")
    await context.lock_refreshed.wait()
    return "done"


def registered_server() -> Orchestrator:
    server = Orchestrator()
    server.on("POST", "/api/workers/register", server.register_reply)
    return server


async def test_boot_registers_caches_0600_and_reuses_the_cache(tmp_path: Path) -> None:
    server = registered_server()
    daemon = make_daemon(tmp_path, server)
    credentials = await daemon.boot()
    assert (credentials.worker_id, credentials.heartbeat_seconds, credentials.poll_seconds) == (
        "wkr_0000000000000001",
        2,
        1,
    )
    register = server.calls[0]
    assert register.headers["authorization"] == f"Bearer {TOKEN}"
    assert register.headers["user-agent"].startswith("rensei-daemon/")
    assert register.body == {
        "hostname": "dev-box",
        "capacity": 2,
        "version": register.headers["user-agent"].split("/", 1)[1],
        "machineId": "machine-1",
        "projects": ["web"],
        "projectIds": ["web"],
        "projectAdmissionMode": "enumerated",
    }
    cache = tmp_path / "state" / "daemon.jwt"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert set(json.loads(cache.read_text())) == {
        "workerId",
        "runtimeToken",
        "heartbeatInterval",
        "pollInterval",
        "runtimeTokenExpiresAt",
        "cachedAt",
    }
    again = make_daemon(tmp_path, server)
    assert (await again.boot()).worker_id == credentials.worker_id
    assert len(server.paths("/register")) == 1


async def test_mutations_are_applied_and_acked_on_the_next_beat(tmp_path: Path) -> None:
    server = registered_server()
    delivered = [
        {"id": "m1", "op": "project.add", "params": {"id": "api", "repository": "github.com/acme/api"}},
        {"id": "m2", "op": "session.wake.up", "params": {}},
    ]
    server.on(
        "POST",
        "/heartbeat",
        ok({"acknowledged": True, "pendingMutations": delivered}),
        ok({"acknowledged": True}),
        answer(200, "not json"),
    )
    daemon = make_daemon(tmp_path, server)
    await daemon.boot()
    for _ in range(3):
        assert (await daemon.heartbeat_once()) is not None
    first, second, third = server.bodies("/heartbeat")
    assert server.calls[1].headers["authorization"] == "Bearer jwt.1.sig"
    assert "appliedMutations" not in first
    assert first["allowlist"] == [{"id": "web", "repository": "github.com/acme/web"}]
    assert second["appliedMutations"] == ["m1"]
    assert second["mutationFailures"] == [{"id": "m2", "error": "unknown op 'session.wake.up'"}]
    # project.add changed the allowlist: the beat after it carries the full list again.
    assert second["enabledProjectIds"] == ["api", "web"]
    assert set(third) == {"status", "activeCount", "maxSessions", "allowlistHash"}
    assert third["allowlistHash"] == second["allowlistHash"]


async def test_failed_beat_keeps_its_acks_for_the_following_beat(tmp_path: Path) -> None:
    server = registered_server()
    mutation = {"id": "m1", "op": "project.remove", "params": {"id": "web"}}
    server.on(
        "POST",
        "/heartbeat",
        ok({"pendingMutations": [mutation]}),
        answer(503, "busy"),
        ok({}),
    )
    daemon = make_daemon(tmp_path, server)
    await daemon.boot()
    for _ in range(3):
        await daemon.heartbeat_once()
    _, lost, retried = server.bodies("/heartbeat")
    assert lost["appliedMutations"] == retried["appliedMutations"] == ["m1"]
    assert "allowlist" in lost
    assert "allowlist" in retried  # the lost beat's allowlist was never acknowledged


async def test_pool_host_status_suspends_polling_until_cleared(tmp_path: Path) -> None:
    server = registered_server()
    server.on(
        "POST",
        "/heartbeat",
        ok({"hostStatus": {"status": "pool_deleted", "candidatePoolIds": ["p2"]}}),
        ok({"acknowledged": True}),
    )
    server.on("GET", "/poll", ok({"work": [], "inboxMessages": {}, "preClaimed": True}))
    daemon = make_daemon(tmp_path, server)
    await daemon.boot()
    await daemon.heartbeat_once()
    assert daemon.suspended
    assert await daemon.poll_once() == []
    assert server.paths("/poll") == []
    await daemon.heartbeat_once()  # hostStatus absent: resume
    assert not daemon.suspended
    await daemon.poll_once()
    assert len(server.paths("/poll")) == 1


async def test_expired_token_is_refreshed_with_the_registration_token(tmp_path: Path) -> None:
    server = registered_server()
    server.on("POST", "/heartbeat", answer(401, '{"error": "Runtime token expired"}'), ok({}))
    server.on(
        "POST", "/refresh-token", ok({"runtimeToken": "jwt.fresh.sig", "expiresAt": "2099-01-02T00:00:00Z"})
    )
    daemon = make_daemon(tmp_path, server)
    await daemon.boot()
    await daemon.heartbeat_once()
    refresh = next(c for c in server.calls if c.path.endswith("/refresh-token"))
    assert refresh.path == "/api/workers/wkr_0000000000000001/refresh-token"
    assert refresh.headers["authorization"] == f"Bearer {TOKEN}"
    assert refresh.body == {}
    await daemon.heartbeat_once()
    assert server.calls[-1].headers["authorization"] == "Bearer jwt.fresh.sig"
    assert daemon.worker_id == "wkr_0000000000000001"
    cached = json.loads((tmp_path / "state" / "daemon.jwt").read_text())
    assert cached["runtimeToken"] == "jwt.fresh.sig"


async def test_refresh_405_falls_back_to_a_full_registration(tmp_path: Path) -> None:
    server = registered_server()
    server.on("GET", "/poll", answer(401, '{"error": "invalid token"}'))
    server.on("POST", "/refresh-token", answer(405))
    daemon = make_daemon(tmp_path, server)
    await daemon.boot()
    await daemon.poll_once()
    assert daemon.worker_id == "wkr_0000000000000002"
    assert [p.rsplit("/", 1)[-1] for p in server.paths()] == ["register", "poll", "refresh-token", "register"]


async def test_unknown_worker_re_registers_without_refreshing(tmp_path: Path) -> None:
    server = registered_server()
    server.on("POST", "/heartbeat", answer(404, '{"error": "worker not found"}'), ok({}))
    daemon = make_daemon(tmp_path, server)
    await daemon.boot()
    await daemon.heartbeat_once()
    await daemon.heartbeat_once()
    assert server.paths("/refresh-token") == []
    assert daemon.worker_id == "wkr_0000000000000002"
    assert server.calls[-1].path == "/api/workers/wkr_0000000000000002/heartbeat"
    assert "allowlist" in server.calls[-1].body  # the new worker gets the full allowlist


def work_item(session_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "sessionId": session_id,
        "issueId": f"issue-{session_id}",
        "issueIdentifier": "ENG-7",
        "priority": 3,
        "queuedAt": 1_700_000_000_000,
        **extra,
    }


async def test_poll_dispatches_admitted_work_and_nacks_refusals(tmp_path: Path) -> None:
    server = registered_server()
    work = [work_item("s1", projectName="web"), work_item("s2", projectName="secret"), work_item("s3")]
    work.append(work_item("s4"))  # over capacity (2)
    server.on("GET", "/poll", ok({"work": work, "inboxMessages": {}, "preClaimed": True}))
    server.on("POST", "/status", ok({"updated": True}))
    server.on("POST", "/lock-refresh", ok({"refreshed": True}))
    server.on("POST", "/activity", ok({"forwarded": False}))
    server.on("POST", "/completion", ok({"posted": 1}))
    server.on("POST", "/nack", ok({"nacked": True, "requeued": True}))
    daemon = make_daemon(tmp_path, server)
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


async def test_three_lock_strikes_lose_ownership_and_fail_the_session(tmp_path: Path) -> None:
    server = registered_server()
    server.on("POST", "/status", ok({"updated": True}))
    server.on(
        "POST",
        "/lock-refresh",
        ok({"refreshed": False}),
        *[answer(500)] * 3,
        ok({"refreshed": False}),
    )
    server.on("POST", "/completion", ok({"posted": 1}))
    sleeps = Sleeps()

    async def endless(context: SessionContext) -> str:
        await asyncio.Event().wait()
        return "never"

    daemon = make_daemon(tmp_path, server, endless, sleeps=sleeps)
    await daemon.boot()
    server.on("GET", "/poll", ok({"work": [work_item("s1")], "preClaimed": True}))
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


async def test_result_posts_retry_5xx_but_not_4xx(tmp_path: Path) -> None:
    server = registered_server()
    server.on("POST", "/lock-refresh", ok({}))
    server.on("POST", "/activity", ok({}))
    server.on("POST", "/completion", answer(502), answer(502), ok({"posted": 1}))
    server.on("POST", "/status", ok({"updated": True}), answer(409, '{"error": "conflict"}'))

    async def detailed(context: SessionContext) -> AgentResult:
        return AgentResult(summary="  ", total_cost_usd=0.5, input_tokens=10, output_tokens=3)

    sleeps = Sleeps()
    daemon = make_daemon(tmp_path, server, detailed, sleeps=sleeps)
    await daemon.boot()
    server.on("GET", "/poll", ok({"work": [work_item("s1")], "preClaimed": True}))
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


async def test_stop_inbox_message_stops_the_session_and_is_acked(tmp_path: Path) -> None:
    server = registered_server()
    for suffix in ("/status", "/lock-refresh", "/completion", "/inbox/ack"):
        server.on("POST", suffix, ok({}))
    started = asyncio.Event()

    async def waits(context: SessionContext) -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    daemon = make_daemon(tmp_path, server, waits)
    await daemon.boot()
    server.on("GET", "/poll", ok({"work": [work_item("s1")], "preClaimed": True}))
    await daemon.poll_once()
    await started.wait()
    stop = {"id": "1-0", "type": "stop", "sessionId": "s1", "payload": {}, "lane": "urgent", "createdAt": 1}
    server.on("GET", "/poll", ok({"work": [], "inboxMessages": {"s1": [stop]}, "hasInboxMessages": True}))
    await daemon.poll_once()
    await daemon.wait_sessions()
    assert daemon.finished["s1"].outcome == "stopped"
    assert server.bodies("/inbox/ack") == [{"messageId": "1-0", "lane": "urgent"}]
    assert server.bodies("/status")[-1]["status"] == "stopped"


async def test_proactive_refresh_is_due_before_expiry(tmp_path: Path) -> None:
    server = Orchestrator()
    now = 1_900_000_000.0

    def short_lived(_body: dict[str, Any]) -> httpx.Response:
        server.workers += 1
        return httpx.Response(
            201,
            json={
                "workerId": "wkr_00000000000000aa",
                "runtimeToken": "jwt.short.sig",
                "runtimeTokenExpiresAt": int((now + 600) * 1000),  # epoch ms, 10 minutes out
            },
        )

    server.on("POST", "/api/workers/register", short_lived)
    server.on(
        "POST", "/refresh-token", ok({"runtimeToken": "jwt.next.sig", "expiresAt": "2030-03-17T18:46:40Z"})
    )
    config = DaemonConfig(
        orchestrator_url=BASE, registration_token=TOKEN, hostname="h", state_dir=tmp_path / "state"
    )
    http = httpx.AsyncClient(transport=httpx.MockTransport(server.handle))
    daemon = Daemon(config, summary_agent, http=http, clock=lambda: now, sleep=Sleeps())
    await daemon.boot()
    # Default margin 300 s of a 600 s token: due 300 s from now; defaults apply to absent intervals.
    assert daemon.credentials.refresh_delay() == pytest.approx(300.0)
    assert (daemon.credentials.current.heartbeat_seconds, daemon.credentials.current.poll_seconds) == (30, 5)
    await daemon.credentials.refresh()
    assert daemon.credentials.current.runtime_token == "jwt.next.sig"
    assert daemon.credentials.current.expires_at == now + 3600  # ISO expiry from the refresh
    assert server.calls[-1].headers["authorization"] == f"Bearer {TOKEN}"
