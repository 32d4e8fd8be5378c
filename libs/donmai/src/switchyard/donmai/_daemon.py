"""The daemon: boot, heartbeat and poll loops, dispatch, mutation ACKs and credential recovery."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

import httpx
from switchyard.donmai._allowlist import Allowlist, AllowlistReporter
from switchyard.donmai._api import Orchestrator, json_object, recovery_reason
from switchyard.donmai._config import DaemonConfig
from switchyard.donmai._credentials import Credentials, CredentialStore, ProtocolError
from switchyard.donmai._mutations import AckBook, HostConfig, apply_mutation
from switchyard.donmai._recovery import CredentialManager, RecoveryFailed
from switchyard.donmai._retry import send_with_retry
from switchyard.donmai._runner import Agent, SessionRunner
from switchyard.donmai._timing import Sleep, default_sleep
from switchyard.donmai._wire import heartbeat_body, host_state, nack_body

log = logging.getLogger("switchyard.donmai")

LoadProbe = Callable[[], Mapping[str, float] | None]


class Daemon:
    """A Donmai daemon speaking the worker protocol (reference §8).

    Drive it with :meth:`run` (loops on the configured intervals) or step it with :meth:`boot`,
    :meth:`heartbeat_once` and :meth:`poll_once`; sessions run as tasks either way.
    """

    def __init__(
        self,
        config: DaemonConfig,
        agent: Agent,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = default_sleep,
        load_probe: LoadProbe | None = None,
    ) -> None:
        """Wire the daemon; ``http`` lets a caller choose the transport (it is then not closed here)."""
        self.config = config
        self.agent = agent
        self.sleep = sleep
        self.load_probe = load_probe
        self._own_http = http is None
        self.api = Orchestrator(http or httpx.AsyncClient(), config)
        allowlist = Allowlist(
            config.projects, enabled_ids=config.enabled_project_ids, mode=config.admission_mode
        )
        self.host = HostConfig(allowlist=allowlist, workloads=config.workloads)
        self.acks = AckBook()
        self.reporter = AllowlistReporter()
        self.credentials = CredentialManager(
            self.api,
            CredentialStore(config.state_dir),
            allowlist,
            clock=clock,
            sleep=sleep,
            on_reregistered=self._reregistered,
        )
        self.host_status: dict[str, Any] | None = None
        self.draining = False
        self.sessions: dict[str, SessionRunner] = {}
        self.finished: dict[str, SessionRunner] = {}
        self.delivered_mutations: list[dict[str, Any]] = []
        self.nacked: list[tuple[str, str]] = []
        self._session_tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []

    @property
    def allowlist(self) -> Allowlist:
        """The live allowlist (mutations change it)."""
        return self.host.allowlist

    @property
    def worker_id(self) -> str:
        """The current worker id."""
        return self.credentials.current.worker_id

    @property
    def suspended(self) -> bool:
        """True while the orchestrator reports a ``pool_*`` host status: no new work is taken."""
        status = (self.host_status or {}).get("status")
        return isinstance(status, str) and status.startswith("pool_")

    async def boot(self) -> Credentials:
        """Load ``daemon.jwt`` or register."""
        return await self.credentials.boot()

    async def heartbeat_once(self) -> httpx.Response | None:
        """Send one heartbeat (ACKing last beat's mutations) and apply what it delivers.

        Returns:
            The response, or None when the request did not get through.
        """
        credentials, generation = self.credentials.current, self.credentials.generation
        applied, failures = self.acks.take()
        allowlist_fields, digest = self.reporter.fields(self.allowlist)
        body = heartbeat_body(
            status=host_state(active=len(self.sessions), draining=self.draining),
            active_count=len(self.sessions),
            max_sessions=self.config.max_sessions,
            allowlist_fields=allowlist_fields,
            applied=applied,
            failures=failures,
            load=self.load_probe() if self.load_probe else None,
        )
        try:
            response = await self.api.heartbeat(credentials.worker_id, credentials.runtime_token, body)
        except httpx.HTTPError as error:
            self.acks.give_back(applied, failures)
            log.warning("donmai heartbeat failed: %s", type(error).__name__)
            return None
        if not response.is_success:
            self.acks.give_back(applied, failures)
            await self._maybe_recover(response, generation)
            return response
        self.reporter.acknowledge(digest)
        payload = json_object(response)
        if payload is not None:  # an unparseable 2xx is still an ack
            self._apply_heartbeat(payload)
        return response

    def _apply_heartbeat(self, payload: Mapping[str, Any]) -> None:
        status = payload.get("hostStatus")
        self.host_status = dict(status) if isinstance(status, Mapping) else None  # absent resumes
        for mutation in payload.get("pendingMutations") or ():
            if not isinstance(mutation, Mapping) or not isinstance(mutation.get("id"), str):
                continue
            self.delivered_mutations.append(dict(mutation))
            error = apply_mutation(self.host, mutation, kill=self._kill_session)
            self.acks.record(mutation["id"], error)

    def _kill_session(self, session_id: str, reason: str) -> None:
        runner = self.sessions.get(session_id)
        if runner is not None:
            runner.stop(reason)

    async def poll_once(self) -> list[str]:
        """Poll once (skipped while suspended), dispatch the pre-claimed work and route inbox messages.

        Returns:
            The session ids dispatched to runners.
        """
        if self.suspended:
            return []
        credentials, generation = self.credentials.current, self.credentials.generation
        try:
            response = await self.api.poll(credentials.worker_id, credentials.runtime_token)
        except httpx.HTTPError as error:
            log.warning("donmai poll failed: %s", type(error).__name__)
            return []
        if not response.is_success:
            await self._maybe_recover(response, generation)
            return []
        payload = json_object(response) or {}
        dispatched = [sid for item in payload.get("work") or () if (sid := await self._dispatch(item))]
        inbox = payload.get("inboxMessages")
        for session_id, messages in (inbox if isinstance(inbox, Mapping) else {}).items():
            runner = self.sessions.get(session_id)
            if runner is not None and isinstance(messages, list):
                await runner.deliver_inbox([m for m in messages if isinstance(m, Mapping)])
        return dispatched

    async def _dispatch(self, work: object) -> str | None:
        if not isinstance(work, Mapping) or not isinstance(work.get("sessionId"), str):
            return None
        session_id = str(work["sessionId"])
        if session_id in self.sessions:
            return None  # already running here: a repeat delivery
        refusal = self._refusal(work)
        if refusal is not None:
            await self.nack(dict(work), refusal)
            return None
        runner = SessionRunner(
            work=dict(work),
            agent=self.agent,
            api=self.api,
            credentials=self.credentials,
            timings=self.config.timings,
            sleep=self.sleep,
        )
        self.sessions[session_id] = runner
        task = asyncio.create_task(self._run_session(runner))
        self._session_tasks.add(task)
        task.add_done_callback(self._session_tasks.discard)
        return session_id

    def _refusal(self, work: Mapping[str, Any]) -> str | None:
        if self.suspended:
            return f"host suspended: {(self.host_status or {}).get('status')}"
        if self.draining:
            return "host draining"
        if len(self.sessions) >= self.config.max_sessions:
            return "at capacity"
        if not self.allowlist.admits(work):
            return "project not in allowlist"
        return None

    async def _run_session(self, runner: SessionRunner) -> None:
        try:
            await runner.run()
        finally:
            self.sessions.pop(runner.session_id, None)
            self.finished[runner.session_id] = runner

    async def nack(self, work: dict[str, Any], reason: str) -> httpx.Response | None:
        """``POST /api/sessions/{id}/nack``: hand a pre-claimed item back with its original priority."""
        self.nacked.append((str(work["sessionId"]), reason))
        return await send_with_retry(
            lambda: self.api.session_post(
                str(work["sessionId"]),
                "nack",
                self.credentials.current.runtime_token,
                nack_body(worker_id=self.worker_id, work=work, reason=reason),
            ),
            policy=self.config.timings.retry,
            sleep=self.sleep,
            what="nack",
        )

    async def _maybe_recover(self, response: httpx.Response, generation: int) -> None:
        reason = recovery_reason(response)
        if reason is None:
            log.warning("donmai request answered %d", response.status_code)
            return
        try:
            await self.credentials.recover(reason, seen_generation=generation)
        except (RecoveryFailed, ProtocolError, httpx.HTTPError) as failure:
            log.warning("donmai recovery (%s) failed: %s", reason, failure)

    async def _reregistered(self, old_worker_id: str, credentials: Credentials) -> None:
        # Outcomes and the allowlist ack belonged to the old worker id; live sessions move to the new one.
        self.acks.clear()
        self.reporter.reset()
        body = {"newWorkerId": credentials.worker_id, "oldWorkerId": old_worker_id}
        for session_id in list(self.sessions):
            await send_with_retry(
                self._transfer(session_id, credentials.runtime_token, body),
                policy=self.config.timings.retry,
                sleep=self.sleep,
                what="transfer-ownership",
            )

    def _transfer(
        self, session_id: str, token: str, body: Mapping[str, Any]
    ) -> Callable[[], Awaitable[httpx.Response]]:
        return lambda: self.api.session_post(session_id, "transfer-ownership", token, body)

    async def wait_sessions(self) -> None:
        """Wait until every running session has reported its result."""
        while self._session_tasks:
            await asyncio.gather(*self._session_tasks, return_exceptions=True)

    async def deregister(self) -> httpx.Response:
        """``DELETE /api/workers/{id}``."""
        credentials = self.credentials.current
        return await self.api.deregister(credentials.worker_id, credentials.runtime_token)

    def _interval(self, override: float | None, server: int) -> float:
        return override if override is not None else float(server)

    async def _heartbeat_loop(self) -> None:
        while True:
            await self.heartbeat_once()
            await self.sleep(
                self._interval(
                    self.config.timings.heartbeat_interval, self.credentials.current.heartbeat_seconds
                )
            )

    async def _poll_loop(self) -> None:
        while True:
            await self.poll_once()
            await self.sleep(
                self._interval(self.config.timings.poll_interval, self.credentials.current.poll_seconds)
            )

    async def start(self) -> None:
        """Boot, then run the heartbeat, poll and proactive-refresh loops in the background."""
        await self.boot()
        loops: list[Coroutine[Any, Any, None]] = [
            self._heartbeat_loop(),
            self._poll_loop(),
            self.credentials.run_refresher(),
        ]
        self._loops = [asyncio.create_task(loop) for loop in loops]

    async def stop(self, *, stop_sessions: bool = False) -> None:
        """Stop the loops; with ``stop_sessions`` also stop running sessions (they report ``stopped``).

        Sessions are always awaited, so every one has posted its result when this returns.
        """
        self.draining = True
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops = []
        if stop_sessions:
            for runner in list(self.sessions.values()):
                runner.stop("daemon shutting down")
        await self.wait_sessions()
        if self._own_http:
            await self.api.http.aclose()
