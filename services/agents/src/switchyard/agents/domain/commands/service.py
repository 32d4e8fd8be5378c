"""Command use cases: issue (durable, routed), run and wait, read, page, cancel, queue depth, drain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.agents.domain import access
from switchyard.agents.domain.commands import repository as repo
from switchyard.agents.domain.commands import rules, sealing
from switchyard.agents.domain.commands.models import CancelOutcome, CommandPage, CommandView, QueueDepth
from switchyard.agents.domain.common import CANCEL_COMMAND, PENDING, new_id
from switchyard.agents.domain.context import Deps
from switchyard.agents.domain.events import CommandFinished
from switchyard.agents.domain.servers import repository as servers
from switchyard.agents.domain.servers.models import ServerView
from switchyard.grpckit.errors import AlreadyExists, Conflict, InvalidArgument, NotFound
from switchyard.grpckit.principal import Principal
from switchyard.obs import get_logger

log = get_logger(__name__)

SERVER_NOT_FOUND = "server not found"
COMMAND_NOT_FOUND = "command not found"
ALREADY_FINISHED = {"cancelled": False, "reason": "already_finished"}
COMMAND_ID_TAKEN = "command_id is already used by another command"


class CommandService:
    """Durable commands: a row first, then a NATS announcement to the replica holding the stream."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def server(self, *, org_id: str, server_id: str) -> ServerView:
        """The org's server, or NOT_FOUND (another org's server is not found either)."""
        sid = rules.server_id(server_id)
        async with self._d.reads() as session:
            found = await servers.get(session, server_id=sid, org_id=org_id)
        if found is None:
            raise NotFound(SERVER_NOT_FOUND)
        return found

    async def finished(self, session: AsyncSession, views: Sequence[CommandView]) -> None:
        """Queue CommandFinished for each view in the caller's transaction."""
        now = self._d.clock()
        for view in views:
            await self._d.events.add(session, CommandFinished(command=view, occurred_at=now))

    async def wake(self, views: Sequence[CommandView]) -> None:
        """Wake RunCommand waiters of committed final states (best effort: waiters also time out)."""
        for view in views:
            try:
                await self._d.bus.finished(view)
            except Exception:
                log.warning("result wake-up not published", command_id=view.id, exc_info=True)

    async def _existing(self, view: CommandView) -> CommandView | None:
        """The stored command of a re-issued caller id: the same one (idempotent), else ALREADY_EXISTS."""
        async with self._d.reads() as session:
            found = await repo.get(session, command_id=view.id)
        if found is None:
            return None
        same = (found.org_id, found.server_id, found.type) == (view.org_id, view.server_id, view.type)
        if not same:
            raise AlreadyExists(COMMAND_ID_TAKEN)
        return found

    def _sealed(self, secret_json: str, view: CommandView) -> bytes | None:
        secret = rules.payload(secret_json, "secret_payload_json")
        if not secret:
            return None
        if not self._d.command_kek:
            raise InvalidArgument("secret_payload_json is not accepted: no command secret key is configured")
        return sealing.seal(
            secret, kek=self._d.command_kek, org_id=view.org_id, server_id=view.server_id, command_id=view.id
        )

    async def issue(
        self,
        *,
        principal: Principal,
        server_id: str,
        type: int,
        payload_json: str = "",
        payload: dict[str, Any] | None = None,
        command_id: str = "",
        reader_ok: bool = False,
        secret_payload_json: str = "",
        target: ServerView | None = None,
    ) -> CommandView:
        """Store a pending command and announce it; the stream holder delivers it (now or on connect).

        ``reader_ok`` lets read-only probes (status, ping) run for any member of the org. A caller-chosen
        ``command_id`` makes the call idempotent: the same id for the same org, server and type returns the
        stored command. ``secret_payload_json`` is sealed at rest and merged in only on delivery.
        ``target`` is the server when the caller already loaded it for this org (it is not read again).
        """
        actor = access.reader(principal) if reader_ok else access.actor(principal)
        kind = rules.command_type(type, self._d.command_types)
        body = payload if payload is not None else rules.payload(payload_json)
        chosen = rules.caller_command_id(command_id)
        if target is None or target.org_id != actor.org_id:
            target = await self.server(org_id=actor.org_id, server_id=server_id)
        view = CommandView(
            id=chosen or new_id(),
            server_id=target.id,
            org_id=actor.org_id,
            type=kind,
            payload=body,
            status=PENDING,
            output="",
            requested_by=actor.requested_by,
            created_at=self._d.clock(),
        )
        if target.status != servers.ACTIVE:
            # A re-issue of a command stored before the revocation still answers with that command.
            if chosen and (existing := await self._existing(view)) is not None:
                return existing
            raise Conflict("server credentials are revoked; re-enrol it first")
        view = replace(view, secret_enc=self._sealed(secret_payload_json, view))
        try:
            # Insert first: a re-issued caller id is the rare case, so it pays the extra read, not every
            # call. One statement: an autocommit session, no BEGIN/COMMIT round trips.
            async with self._d.reads() as session:
                await repo.insert(session, view)
        except IntegrityError:
            existing = await self._existing(view) if chosen else None
            if existing is None:
                raise
            return existing
        try:
            await self._d.bus.announce(view.server_id, view.id)
        except Exception:
            # The row is the durable copy: the next stream open delivers it.
            log.warning("command announcement failed", command_id=view.id, exc_info=True)
        return view

    async def run(
        self,
        *,
        principal: Principal,
        server_id: str,
        type: int,
        payload_json: str = "",
        payload: dict[str, Any] | None = None,
        timeout_seconds: float,
        reader_ok: bool = False,
        target: ServerView | None = None,
    ) -> CommandView:
        """Issue a command and wait for its final state (or the timeout); the command as stored then."""
        command_id = new_id()
        # Subscribed before the row exists, so a result published by any replica cannot be missed.
        async with self._d.bus.watch_result(command_id) as waiter:
            await self.issue(
                principal=principal,
                server_id=server_id,
                type=type,
                payload_json=payload_json,
                payload=payload,
                command_id=command_id,
                reader_ok=reader_ok,
                target=target,
            )
            await waiter.wait(timeout_seconds)
        if waiter.result is not None and waiter.result.final:
            return waiter.result
        async with self._d.reads() as session:
            stored = await repo.get(session, command_id=command_id)
        if stored is None:  # deleted with its server meanwhile
            raise NotFound(COMMAND_NOT_FOUND)
        return stored

    async def run_for(
        self, *, principal: Principal, server_id: str, type: int, payload_json: str, timeout_ms: int
    ) -> CommandView:
        """RunCommand: validate the timeout, then run."""
        timeout = rules.run_timeout_seconds(timeout_ms)
        return await self.run(
            principal=principal,
            server_id=server_id,
            type=type,
            payload_json=payload_json,
            timeout_seconds=timeout,
        )

    async def get(self, *, principal: Principal, command_id: str) -> CommandView:
        """One command of the caller's org."""
        org = access.reader(principal).org_id
        if not command_id.strip():
            raise NotFound(COMMAND_NOT_FOUND)
        async with self._d.reads() as session:
            found = await repo.get(session, command_id=command_id.strip(), org_id=org)
        if found is None:
            raise NotFound(COMMAND_NOT_FOUND)
        return found

    async def history(
        self, *, principal: Principal, server_id: str, limit: int, cursor: str, statuses: Sequence[str]
    ) -> CommandPage:
        """A page of the server's history, newest first (keyset pagination)."""
        org = access.reader(principal).org_id
        size = rules.list_limit(limit)
        after = rules.decode_cursor(cursor)
        chosen = rules.statuses(statuses)
        target = await self.server(org_id=org, server_id=server_id)
        async with self._d.reads() as session:
            views = await repo.page(
                session, server_id=target.id, org_id=org, limit=size + 1, after=after, statuses=chosen
            )
        if len(views) <= size:
            return CommandPage(commands=views)
        last = views[size - 1]
        return CommandPage(commands=views[:size], next_cursor=rules.encode_cursor(last.created_at, last.id))

    async def cancel(self, *, principal: Principal, command_id: str) -> CancelOutcome:
        """Cancel: pending -> cancelled at once; dispatched/running -> CANCEL_COMMAND to the agent."""
        actor = access.actor(principal)
        found = await self.get(principal=principal, command_id=command_id)
        if found.status == PENDING:
            async with self._d.sessions() as session, session.begin():
                done = await repo.cancel_pending(
                    session, server_id=found.server_id, command_ids=[found.id], now=self._d.clock()
                )
                await self.finished(session, done)
            if done:
                await self.wake(done)
                return CancelOutcome(cancelled=True, status=done[0].status)
            # Dispatched (or finished) meanwhile: decide again on the fresh state.
            found = await self.get(principal=principal, command_id=command_id)
        if found.final:
            raise Conflict(f"command already {found.status}", fields=ALREADY_FINISHED)
        cancel = await self.issue(
            principal=principal,
            server_id=found.server_id,
            type=CANCEL_COMMAND,
            payload={"cancel_command_id": found.id},
        )
        log.info("cancel sent to agent", command_id=found.id, cancel_id=cancel.id, org_id=actor.org_id)
        return CancelOutcome(cancelled=True, status=found.status, cancel_command_id=cancel.id)

    async def depth(self, *, principal: Principal, server_id: str) -> QueueDepth:
        """Open commands of the server by state."""
        org = access.reader(principal).org_id
        target = await self.server(org_id=org, server_id=server_id)
        async with self._d.reads() as session:
            return await repo.depth(session, server_id=target.id)

    async def drain(self, *, principal: Principal, server_id: str) -> int:
        """Cancel every pending command of the server; how many were cancelled."""
        org = access.actor(principal).org_id
        target = await self.server(org_id=org, server_id=server_id)
        async with self._d.sessions() as session, session.begin():
            done = await repo.cancel_pending(
                session, server_id=target.id, command_ids=None, now=self._d.clock()
            )
            await self.finished(session, done)
        await self.wake(done)
        return len(done)
