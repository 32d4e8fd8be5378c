"""A scripted orchestrator for the daemon client's tests (reference §8).

An in-memory httpx transport that records each request and answers as the reference says a server may,
including answers Switchyard never gives (405 from refresh-token, 5xx, ``refreshed:false``), so every
client branch is exercised. The real gateway path is tests/api/test_api_daemon_lifecycle.py.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from switchyard.donmai import Daemon, DaemonConfig, Project, SessionContext, Timings

TOKEN = "rsk_live_" + "ab" * 32
BASE = "http://orchestrator.test"
Reply = Callable[[dict[str, Any]], httpx.Response]


@dataclass
class Call:
    """One request the daemon made."""

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
    token: str = TOKEN
    base: str = BASE

    def on(self, method: str, suffix: str, *replies: Reply) -> None:
        """Answer requests to ``suffix`` with ``replies`` in order (the last one repeats)."""
        self.routes[(method, suffix)] = list(replies)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The transport's handler."""
        body = json.loads(request.content) if request.content else None
        self.calls.append(Call(request.method, request.url.path, request.headers, body))
        for (method, suffix), replies in self.routes.items():
            if method == request.method and request.url.path.endswith(suffix):
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
                return reply(body or {})
        return httpx.Response(404, json={"error": "no route"})

    def paths(self, suffix: str = "") -> list[str]:
        """Paths requested, optionally only those ending in ``suffix``."""
        return [c.path for c in self.calls if c.path.endswith(suffix)]

    def bodies(self, suffix: str) -> list[Any]:
        """JSON bodies sent to paths ending in ``suffix``."""
        return [c.body for c in self.calls if c.path.endswith(suffix)]

    def register_reply(self, _body: dict[str, Any]) -> httpx.Response:
        """A 201 registration minting the next worker id."""
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

    @staticmethod
    def ok(body: Any = None, status: int = 200) -> Reply:
        """A JSON reply."""
        return lambda _request: httpx.Response(status, json=body if body is not None else {})

    @staticmethod
    def answer(status: int, text: str = "") -> Reply:
        """A raw-text reply."""
        return lambda _request: httpx.Response(status, text=text)

    @staticmethod
    def work_item(session_id: str, **extra: Any) -> dict[str, Any]:
        """A QueuedWork item."""
        return {
            "sessionId": session_id,
            "issueId": f"issue-{session_id}",
            "issueIdentifier": "ENG-7",
            "priority": 3,
            "queuedAt": 1_700_000_000_000,
            **extra,
        }


class Sleeps:
    """Records every sleep and yields to the loop instead of waiting."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)


async def summary_agent(context: SessionContext) -> str:
    """Posts one activity, holds until the lock was refreshed, then returns a summary."""
    await context.activity("thought", "working")
    await context.lock_refreshed.wait()
    return "done"


@pytest.fixture
def server() -> Orchestrator:
    """A scripted orchestrator that registers workers."""
    orchestrator = Orchestrator()
    orchestrator.on("POST", "/api/workers/register", orchestrator.register_reply)
    return orchestrator


@pytest.fixture
def sleeps() -> Sleeps:
    """The daemon's sleeps, recorded."""
    return Sleeps()


@pytest.fixture
def make_daemon(tmp_path: Path, server: Orchestrator, sleeps: Sleeps) -> Callable[..., Daemon]:
    """Build daemons on the scripted orchestrator (state under ``tmp_path``)."""

    def build(agent: Any = None, *, max_sessions: int = 2, clock: Callable[[], float] = time.time) -> Daemon:
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
        return Daemon(config, agent or summary_agent, http=http, sleep=sleeps, clock=clock)

    return build
