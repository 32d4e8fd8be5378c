"""Server use cases: list/get/delete, live status, ping, restart, agent logs, force-disconnect.

"Online" for an operator action means the agent holds a command stream on some replica right now (a
live ``agents:stream:{id}`` registration): only then can a command reach it. The heartbeat presence
is reported beside it (``online`` in the server view).
"""

from __future__ import annotations

import json
import time
from typing import Any

from switchyard.agents.domain import access
from switchyard.agents.domain.commands import repository as commands
from switchyard.agents.domain.commands.models import CommandView
from switchyard.agents.domain.commands.service import CommandService
from switchyard.agents.domain.common import AGENT_LOGS, AGENT_PING, AGENT_STATUS, COMPLETED, RESTART_SELF
from switchyard.agents.domain.context import Deps
from switchyard.agents.domain.errors import AgentFailed, AgentOffline, AgentTimeout
from switchyard.agents.domain.events import ServerRevoked
from switchyard.agents.domain.servers import repository as repo
from switchyard.agents.domain.servers.models import (
    AgentLogs,
    PingResult,
    RestartQueued,
    ServerState,
    ServerView,
    StatusReport,
)
from switchyard.grpckit.errors import AlreadyExists, InvalidArgument
from switchyard.grpckit.principal import Principal

LIST_DEFAULT = 100
LIST_MAX = 500
STATUS_TIMEOUT = 3.0
PING_TIMEOUT = 5.0
LOGS_TIMEOUT = 15.0
LOG_LINES_DEFAULT = 200
LOG_LINES_MAX = 2000
RESTART_GUARD_SECONDS = 30
RECONNECT_SECONDS = 5
OFFLINE_PROBE = "agent offline: no live command stream"


def _json(output: str) -> dict[str, Any]:
    # Introspection commands answer one JSON object; progress lines, if any, come before it.
    for candidate in (output, output.strip().rsplit("\n", 1)[-1]):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return {}


def _skew_ms(agent_nanos: Any, sent_ns: int, received_ns: int) -> int:
    # The agent read its clock somewhere in the round trip; the midpoint is the best estimate of when.
    if not isinstance(agent_nanos, int | float) or isinstance(agent_nanos, bool) or agent_nanos <= 0:
        return 0
    midpoint = (sent_ns + received_ns) // 2
    return int((int(agent_nanos) - midpoint) / 1_000_000)


def _failure(view: CommandView) -> str:
    return f"agent answered {view.status}: {view.output.strip()[:500]}"


class ServerService:
    """Stored servers merged with live state, and the operator actions that run through the agent."""

    def __init__(self, deps: Deps, commands: CommandService) -> None:
        self._d = deps
        self._c = commands

    async def _state(self, server: ServerView) -> ServerState:
        presences = await self._d.live.presences([server.id])
        connected = await self._d.live.connected([server.id])
        return ServerState(
            server=server, presence=presences.get(server.id), stream_connected=server.id in connected
        )

    async def list_servers(self, *, principal: Principal, limit: int) -> list[ServerState]:
        """The org's servers, newest first, with presence."""
        org = access.reader(principal).org_id
        if limit and not 1 <= limit <= LIST_MAX:
            raise InvalidArgument(f"limit must be between 1 and {LIST_MAX}")
        async with self._d.reads() as session:
            views = await repo.list_for_org(session, org_id=org, limit=limit or LIST_DEFAULT)
        ids = [v.id for v in views]
        presences = await self._d.live.presences(ids)
        connected = await self._d.live.connected(ids)
        return [
            ServerState(server=v, presence=presences.get(v.id), stream_connected=v.id in connected)
            for v in views
        ]

    async def get(self, *, principal: Principal, server_id: str) -> ServerState:
        """One server of the caller's org with its live state."""
        org = access.reader(principal).org_id
        return await self._state(await self._c.server(org_id=org, server_id=server_id))

    async def delete(self, *, principal: Principal, server_id: str) -> bool:
        """Revoke the server's credentials, cancel its open commands, delete it, and drop its stream."""
        org = access.actor(principal).org_id
        server = await self._c.server(org_id=org, server_id=server_id)
        now = self._d.clock()
        async with self._d.sessions() as session, session.begin():
            cancelled = await commands.cancel_open(session, server_id=server.id, now=now)
            await self._c.finished(session, cancelled)
            deleted = await repo.delete(session, server_id=server.id, now=now)
            await self._d.events.add(
                session, ServerRevoked(server_id=server.id, org_id=org, deleted=True, occurred_at=now)
            )
        await self._c.wake(cancelled)
        await self._d.bus.disconnect(server.id)
        await self._d.live.forget(server.id)
        return deleted

    async def _probe(
        self, *, principal: Principal, server_id: str, type: int, wait: float, **extra: Any
    ) -> tuple[CommandView, int, int]:
        sent = time.time_ns()
        view = await self._c.run(
            principal=principal, server_id=server_id, type=type, timeout_seconds=wait, **extra
        )
        received = time.time_ns()
        if not view.final:
            await self._abandon(view)
        return view, sent, received

    async def _abandon(self, view: CommandView) -> None:
        # A probe nobody waits for any more must not run when the agent comes back.
        async with self._d.sessions() as session, session.begin():
            done = await commands.cancel_pending(
                session, server_id=view.server_id, command_ids=[view.id], now=self._d.clock()
            )
            await self._c.finished(session, done)
        await self._c.wake(done)

    async def status(self, *, principal: Principal, server_id: str) -> StatusReport:
        """The stored view merged with an AGENT_STATUS probe; an unreachable agent sets live_probe_error."""
        org = access.reader(principal).org_id
        state = await self._state(await self._c.server(org_id=org, server_id=server_id))
        if not state.stream_connected:
            return StatusReport(state=state, live_probe_error=OFFLINE_PROBE)
        view, sent, received = await self._probe(
            principal=principal,
            server_id=server_id,
            type=AGENT_STATUS,
            wait=STATUS_TIMEOUT,
            reader_ok=True,
            target=state.server,
        )
        if not view.final:
            error = f"agent did not answer AGENT_STATUS within {STATUS_TIMEOUT:.0f} s"
            return StatusReport(state=state, live_probe_error=error)
        if view.status != COMPLETED:
            return StatusReport(state=state, live_probe_error=_failure(view))
        skew = _skew_ms(_json(view.output).get("server_time_nanos"), sent, received)
        return StatusReport(state=state, live_status_json=view.output, clock_skew_ms=skew)

    async def _online(self, principal: Principal, server_id: str, *, reader_ok: bool) -> ServerView:
        actor = access.reader(principal) if reader_ok else access.actor(principal)
        server = await self._c.server(org_id=actor.org_id, server_id=server_id)
        if server.id not in await self._d.live.connected([server.id]):
            raise AgentOffline
        return server

    async def ping(self, *, principal: Principal, server_id: str) -> PingResult:
        """An AGENT_PING round trip: RTT and the agent's clock skew (ms)."""
        server = await self._online(principal, server_id, reader_ok=True)
        view, sent, received = await self._probe(
            principal=principal,
            server_id=server.id,
            type=AGENT_PING,
            wait=PING_TIMEOUT,
            reader_ok=True,
            target=server,
        )
        if not view.final:
            raise AgentTimeout(f"agent did not answer AGENT_PING within {PING_TIMEOUT:.0f} s")
        if view.status != COMPLETED:
            raise AgentFailed(_failure(view))
        answer = _json(view.output)
        return PingResult(
            rtt_ms=(received - sent) / 1_000_000,
            clock_skew_ms=_skew_ms(answer.get("agent_time_nanos"), sent, received),
            agent_version=str(answer.get("agent_version", "")),
            command_id=view.id,
        )

    async def restart(self, *, principal: Principal, server_id: str) -> RestartQueued:
        """RESTART_SELF: 422 when offline, 409 when one was issued in the last 30 s."""
        server = await self._online(principal, server_id, reader_ok=False)
        if not await self._d.live.claim("restart", server.id, RESTART_GUARD_SECONDS):
            raise AlreadyExists(f"a restart was already issued in the last {RESTART_GUARD_SECONDS} s")
        view = await self._c.issue(principal=principal, server_id=server.id, type=RESTART_SELF, target=server)
        return RestartQueued(command_id=view.id, estimated_reconnect_seconds=RECONNECT_SECONDS)

    async def agent_logs(self, *, principal: Principal, server_id: str, lines: int) -> AgentLogs:
        """AGENT_LOGS: the last ``lines`` (1..2000, default 200) of the agent's own log."""
        count = lines or LOG_LINES_DEFAULT
        if not 1 <= count <= LOG_LINES_MAX:
            raise InvalidArgument(f"lines must be between 1 and {LOG_LINES_MAX}")
        server = await self._online(principal, server_id, reader_ok=False)
        view, _, _ = await self._probe(
            principal=principal,
            server_id=server.id,
            type=AGENT_LOGS,
            wait=LOGS_TIMEOUT,
            payload={"lines": count},
            target=server,
        )
        if not view.final:
            raise AgentTimeout(f"agent did not answer AGENT_LOGS within {LOGS_TIMEOUT:.0f} s")
        if view.status != COMPLETED:
            raise AgentFailed(_failure(view))
        return AgentLogs(text=view.output, lines=count, command_id=view.id)

    async def disconnect(self, *, principal: Principal, server_id: str) -> bool:
        """Close the server's live stream on whichever replica holds it; True when one was open."""
        org = access.actor(principal).org_id
        server = await self._c.server(org_id=org, server_id=server_id)
        connected = server.id in await self._d.live.connected([server.id])
        await self._d.bus.disconnect(server.id)
        return connected
