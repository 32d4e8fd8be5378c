"""One agent session: status running, lock-refresh pulser with strikes, activity, completion then status."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from switchyard.donmai._api import Orchestrator, json_object
from switchyard.donmai._recovery import CredentialManager
from switchyard.donmai._retry import send_with_retry
from switchyard.donmai._timing import Sleep, Timings
from switchyard.donmai._wire import SessionOutcome, status_body, synthesize_summary

log = logging.getLogger("switchyard.donmai")

MAX_STRIKES = 3
LOST_OWNERSHIP = "lost issue lock ownership"
REFUSED = frozenset({403, 404, 409})


def _constant(body: Mapping[str, Any]) -> Callable[[], Mapping[str, Any]]:
    return lambda: body


@dataclass
class AgentResult:
    """What the agent hands back; the runner turns it into the completion and final status posts."""

    summary: str = ""
    status: SessionOutcome = "completed"
    error: str | None = None
    provider_session_id: str | None = None
    worktree_path: str | None = None
    total_cost_usd: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    plan_items: Sequence[Mapping[str, str]] = ()

    def status_extra(self) -> dict[str, Any]:
        """The optional fields of the status body."""
        return {
            "providerSessionId": self.provider_session_id,
            "worktreePath": self.worktree_path,
            "totalCostUsd": self.total_cost_usd,
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
        }


class SessionContext:
    """What the agent coroutine sees: its work item, an inbox, and the session posts it may make."""

    def __init__(self, runner: SessionRunner) -> None:
        """Bind to a runner."""
        self._runner = runner
        self.session_id: str = runner.session_id
        self.work: dict[str, Any] = runner.work
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.lock_refreshes = 0
        self.lock_refreshed = asyncio.Event()

    @property
    def worker_id(self) -> str:
        """The daemon's current worker id (changes after a re-registration)."""
        return self._runner.credentials.current.worker_id

    async def activity(self, kind: str, content: str, **extra: Any) -> httpx.Response | None:
        """``POST /api/sessions/{id}/activity`` (thought|action|response|context|error)."""
        activity = {"type": kind, "content": content, **extra}
        return await self._runner.post("activity", lambda: {"workerId": self.worker_id, "activity": activity})

    async def progress(self, message: str, milestone: str | None = None) -> httpx.Response | None:
        """``POST /api/sessions/{id}/progress``."""
        body: dict[str, Any] = {"message": message}
        if milestone:
            body["milestone"] = milestone
        return await self._runner.post("progress", lambda: {"workerId": self.worker_id, **body})


Agent = Callable[[SessionContext], Coroutine[Any, Any, AgentResult | str | None]]


@dataclass
class SessionRunner:
    """Runs one pre-claimed work item to its end, then reports it (completion first, then status)."""

    work: dict[str, Any]
    agent: Agent
    api: Orchestrator
    credentials: CredentialManager
    timings: Timings
    sleep: Sleep
    outcome: SessionOutcome | None = None
    strikes: int = 0
    lost_ownership: bool = False
    posted: list[tuple[str, int | None]] = field(default_factory=list)
    _stop_reason: str | None = None
    _agent_task: asyncio.Task[AgentResult | str | None] | None = None

    def __post_init__(self) -> None:
        """Build the agent's context."""
        self.session_id = str(self.work["sessionId"])
        self.context = SessionContext(self)

    async def post(self, action: str, body: Callable[[], Mapping[str, Any]]) -> httpx.Response | None:
        """A session post with the retry policy; body and token are rebuilt per attempt (fresh creds)."""
        response = await send_with_retry(
            lambda: self.api.session_post(
                self.session_id, action, self.credentials.current.runtime_token, body()
            ),
            policy=self.timings.retry,
            sleep=self.sleep,
            what=action,
        )
        self.posted.append((action, None if response is None else response.status_code))
        return response

    def stop(self, reason: str) -> None:
        """Stop the agent (stop inbox message, ``session.kill``, lock-refresh ``stop:true``, shutdown)."""
        if self._stop_reason is None:
            self._stop_reason = reason
        if self._agent_task is not None:
            self._agent_task.cancel()

    async def run(self) -> None:
        """Start the session, run the agent under the lock pulser, and post the result."""
        started = await self.post(
            "status", lambda: status_body(worker_id=self.credentials.current.worker_id, status="running")
        )
        if started is not None and started.status_code in REFUSED:
            # Not (or no longer) ours: running the agent would do work nobody can report.
            log.warning("donmai session start refused with %d", started.status_code)
            return
        pulser = asyncio.create_task(self._pulse_loop())
        self._agent_task = asyncio.create_task(self.agent(self.context))
        if self._stop_reason is not None:
            self._agent_task.cancel()
        result = await self._agent_result(self._agent_task)
        pulser.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pulser
        await self._report(result)

    async def _agent_result(self, task: asyncio.Task[AgentResult | str | None]) -> AgentResult:
        try:
            produced = await task
        except asyncio.CancelledError:
            if self._stop_reason is None:
                raise  # the runner itself is being cancelled
            if self.lost_ownership:
                return AgentResult(status="failed", error=LOST_OWNERSHIP)
            return AgentResult(status="stopped", error=self._stop_reason)
        except Exception as error:  # the agent's failure is the session's failure, not the daemon's
            log.warning("donmai agent failed: %s", type(error).__name__)
            return AgentResult(status="failed", error=str(error) or type(error).__name__)
        if isinstance(produced, AgentResult):
            return produced
        return AgentResult(summary=produced or "")

    async def _report(self, result: AgentResult) -> None:
        summary = result.summary.strip() or synthesize_summary(self.work, result.status, result.error)
        completion: dict[str, Any] = {"summary": summary}
        if result.plan_items:
            completion["planItems"] = [dict(item) for item in result.plan_items]
        await self.post("completion", lambda: {**completion, "workerId": self.credentials.current.worker_id})
        await self.post(
            "status",
            lambda: status_body(
                worker_id=self.credentials.current.worker_id,
                status=result.status,
                error=result.error,
                extra=result.status_extra(),
            ),
        )
        self.outcome = result.status

    async def _pulse(self) -> bool:
        issue_id = self.work.get("issueId", "")
        response = await self.post(
            "lock-refresh", lambda: {"workerId": self.credentials.current.worker_id, "issueId": issue_id}
        )
        if response is None or not response.is_success:
            return False
        body = json_object(response)
        if body is None:
            return True  # 204 / no body: accepted
        if body.get("stop") is True:
            self.stop("stop requested by the orchestrator")
        return body.get("refreshed", True) is not False

    async def _pulse_loop(self) -> None:
        while True:
            await self.sleep(self.timings.lock_refresh_interval)
            if await self._pulse():
                self.strikes = 0
                self.context.lock_refreshes += 1
                self.context.lock_refreshed.set()
                continue
            self.strikes += 1
            if self.strikes >= MAX_STRIKES:
                self.lost_ownership = True
                self.stop(LOST_OWNERSHIP)
                return

    async def deliver_inbox(self, messages: Sequence[Mapping[str, Any]]) -> None:
        """Route inbox messages to the agent, ACK each (XACK server side); a ``stop`` message stops it."""
        for message in messages:
            self.context.inbox.put_nowait(dict(message))
            if message.get("type") == "stop":
                self.stop("stop message")
            ack = {"messageId": message.get("id"), "lane": message.get("lane", "normal")}
            await self.post("inbox/ack", _constant(ack))
