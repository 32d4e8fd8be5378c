"""The agent's side: secret verification, heartbeats, ACKs, and progress/final result frames."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

from switchyard.agents.domain.commands import repository as commands
from switchyard.agents.domain.commands import rules, sealing
from switchyard.agents.domain.commands.models import CommandView
from switchyard.agents.domain.commands.service import CommandService
from switchyard.agents.domain.common import PENDING, tail
from switchyard.agents.domain.context import Deps
from switchyard.agents.domain.servers import repository as servers
from switchyard.agents.domain.servers.models import PresenceView
from switchyard.obs import get_logger

log = get_logger(__name__)

# PostgreSQL keeps last_heartbeat_at/agent_version at this resolution; Redis has every beat.
DB_TOUCH_SECONDS = 60
# Appended (on its own line) to the output of a command whose stream ended before its final frame.
DISCONNECTED_NOTE = "agent disconnected mid-command"


@dataclass(frozen=True, slots=True)
class AgentIdentity:
    """An authenticated agent: its server and that server's org."""

    server_id: str
    org_id: str


def secret_hash(secret: str) -> str:
    """SHA-256 hex of an agent secret (only hashes are stored)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class AgentSideService:
    """What the public agent.v1 endpoint does with what an authenticated agent sends."""

    def __init__(self, deps: Deps, commands: CommandService) -> None:
        self._d = deps
        self._c = commands

    async def authenticate(self, *, server_id: str, secret: str) -> AgentIdentity | None:
        """The agent's identity when the secret is an unrevoked one of that active server, else None."""
        if not server_id or not secret:
            return None
        async with self._d.reads() as session:
            org = await servers.org_of_secret(session, server_id=server_id, secret_hash=secret_hash(secret))
        return AgentIdentity(server_id=server_id, org_id=org) if org is not None else None

    async def heartbeat(self, *, agent: AgentIdentity, presence: PresenceView, raw: bytes) -> None:
        """Store the snapshot with its TTL; touch PostgreSQL at most once a minute per server."""
        await self._d.live.save_presence(agent.server_id, presence, raw, self._d.presence_ttl_seconds)
        if await self._d.live.claim("heartbeat-db", agent.server_id, DB_TOUCH_SECONDS):
            async with self._d.sessions() as session, session.begin():
                await servers.touch(
                    session,
                    server_id=agent.server_id,
                    agent_version=presence.agent_version,
                    at=presence.last_heartbeat_at,
                )

    def _opened(self, view: CommandView) -> CommandView:
        # The sealed part joins the payload only on its way to the agent (the view goes nowhere else).
        if view.secret_enc is None:
            return view
        secret = sealing.open_sealed(
            view.secret_enc,
            kek=self._d.command_kek,
            org_id=view.org_id,
            server_id=view.server_id,
            command_id=view.id,
        )
        if secret is None:
            log.warning("command secret cannot be decrypted; delivered without it", command_id=view.id)
            return replace(view, secret_enc=None)
        return replace(view, payload={**view.payload, **secret}, secret_enc=None)

    async def pending(self, *, agent: AgentIdentity) -> list[CommandView]:
        """Every pending command of the agent's server, oldest first (secrets merged in)."""
        async with self._d.reads() as session:
            views = await commands.pending_for(session, server_id=agent.server_id)
        return [self._opened(v) for v in views]

    async def deliverable(self, *, agent: AgentIdentity, command_id: str) -> CommandView | None:
        """An announced command, when it is still pending and belongs to the agent's server."""
        async with self._d.reads() as session:
            found = await commands.get(session, command_id=command_id)
        if found is None or found.server_id != agent.server_id or found.status != PENDING:
            return None
        return self._opened(found)

    async def abandon(
        self, *, agent: AgentIdentity, command_ids: Collection[str] | None = None
    ) -> list[CommandView]:
        """Fail the server's dispatched/running commands (only ``command_ids`` when given): stream gone.

        The agent drops the results of commands whose stream has ended (no spool, no replay), so such a
        command can never report: it becomes ``failed`` with ``agent disconnected mid-command`` appended to
        its output, a CommandFinished event and a RunCommand wake-up, like any final frame. Pending commands
        are untouched (they are delivered by the next stream).
        """
        if command_ids is not None and not command_ids:
            return []
        ids = None if command_ids is None else sorted(command_ids)
        async with self._d.sessions() as session, session.begin():
            failed = await commands.fail_in_flight(
                session,
                server_id=agent.server_id,
                command_ids=ids,
                note=f"\n{DISCONNECTED_NOTE}\n",
                now=self._d.clock(),
            )
            await self._c.finished(session, failed)
        if failed:
            await self._c.wake(failed)
            log.warning(
                "in-flight commands failed: agent disconnected",
                server_id=agent.server_id,
                commands=[view.id for view in failed],
            )
        return failed

    async def ack(self, *, agent: AgentIdentity, command_id: str) -> bool:
        """pending -> dispatched for a command of the agent's own server; anything else changes nothing."""
        if not command_id:
            return False
        # One conditional UPDATE: atomic on its own, so an autocommit session (no BEGIN/COMMIT).
        async with self._d.reads() as session:
            return await commands.ack(
                session, server_id=agent.server_id, command_id=command_id, now=self._d.clock()
            )

    async def _published(
        self, agent: AgentIdentity, command_id: str, type: int, status: str, chunk: str, now: datetime
    ) -> None:
        if self._d.progress is None:
            return
        try:
            await self._d.progress.progress(
                org_id=agent.org_id,
                server_id=agent.server_id,
                command_id=command_id,
                type=type,
                status=status or "running",
                output=chunk,
                at=now,
            )
        except Exception:
            # Best effort by design: the final state still goes through the outbox.
            log.warning("progress event not published", command_id=command_id[:64], exc_info=True)

    async def result(
        self, *, agent: AgentIdentity, command_id: str, status: str, output: bytes, is_final: bool
    ) -> bool:
        """Apply one CommandResult frame; False (logged) when it names no open command of this server."""
        chunk = tail(output.decode("utf-8", "replace"))
        now = self._d.clock()
        if not command_id:
            log.warning("result frame without a command id ignored", server_id=agent.server_id)
            return False
        if not is_final:
            async with self._d.sessions() as session, session.begin():
                known = await commands.progress(
                    session, server_id=agent.server_id, command_id=command_id, chunk=chunk, now=now
                )
            applied = known is not None
            if known is not None:
                await self._published(agent, command_id, known[1], status, chunk, now)
        else:
            async with self._d.sessions() as session, session.begin():
                done = await commands.finish(
                    session,
                    server_id=agent.server_id,
                    command_id=command_id,
                    status=rules.final_status(status),
                    chunk=chunk,
                    now=now,
                )
                await self._c.finished(session, [done] if done else [])
            applied = done is not None
            if done is not None:
                await self._c.wake([done])
        if not applied:
            log.warning(
                "result frame for an unknown, foreign or finished command ignored",
                server_id=agent.server_id,
                command_id=command_id[:64],
                final=is_final,
            )
        return applied
