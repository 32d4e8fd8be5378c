"""Domain use cases: assign a hostname to an app (ROUTE_ADD), list, get, remove (ROUTE_REMOVE), and apply
the agent's final answer to those commands.

A domain is stored first (``pending``, or ``removing``) and the command is issued after the commit, so
the agents service never routes a host deploy has not recorded; the command id is stored right after.
The final answer arrives as an ``agents.command.finished`` event (``finished``): ROUTE_ADD completed ->
``active``, anything else -> ``failed`` with the agent's words; ROUTE_REMOVE completed -> the row goes.
Every change of the routed set republishes the server's canonical snapshot (``routes.publish``).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.domain import common
from switchyard.deploy.domain.access import Actor, reader_org, writer
from switchyard.deploy.domain.apps import repository as apps
from switchyard.deploy.domain.changes.models import ChangeDraft
from switchyard.deploy.domain.changes.recorder import record, record_many
from switchyard.deploy.domain.context import Deps
from switchyard.deploy.domain.domains import repository as repo
from switchyard.deploy.domain.domains import routes
from switchyard.deploy.domain.domains.models import (
    ACTIVE,
    FAILED,
    PENDING,
    REMOVING,
    ROUTE_ADD,
    ROUTE_REMOVE,
    CommandResult,
    DomainView,
    error_text,
    hostname_of,
    route_add_payload,
)
from switchyard.deploy.domain.ports import AgentCommand
from switchyard.grpckit.errors import AlreadyExists, DomainError, NotFound
from switchyard.grpckit.principal import Principal
from switchyard.obs import get_logger

log = get_logger(__name__)

APP_NOT_FOUND = "app not found"
NOT_FOUND = "domain not found"
TAKEN = "hostname is already assigned"
DOMAIN_ADD, DOMAIN_REMOVE = "domain.add", "domain.remove"
DOMAIN_ACTIVE, DOMAIN_FAILED = "domain.active", "domain.failed"
COMPLETED = "completed"
# The actor of feed rows written when the agent answers.
AGENT_ACTOR = "agents"


class CommandIdPending(DomainError):
    """A route command finished before its id was stored on the domain: redeliver the event later."""

    code = "UNAVAILABLE"


def _draft(kind: str, view: DomainView, **summary: object) -> ChangeDraft:
    return ChangeDraft(
        type=kind,
        entity_type="domain",
        entity_id=view.id,
        app_id=view.app_id,
        summary={"hostname": view.hostname, "serverId": view.server_id, **summary},
    )


class DomainService:
    """Hostnames of apps and the routes the app's server's agent serves for them."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def list(self, *, principal: Principal, app_id: str) -> list[DomainView]:
        """The app's domains by hostname (readers)."""
        org = reader_org(principal)
        async with self._d.reads() as session:
            if await apps.get(session, org_id=org, app_id=app_id) is None:
                raise NotFound(APP_NOT_FOUND)
            return await repo.list_for_app(session, org_id=org, app_id=app_id)

    async def get(self, *, principal: Principal, app_id: str, domain_id: str) -> DomainView:
        """One domain of the org's app (readers)."""
        org = reader_org(principal)
        async with self._d.reads() as session:
            view = await repo.get(session, org_id=org, app_id=app_id, domain_id=domain_id)
        if view is None:
            raise NotFound(NOT_FOUND)
        return view

    async def create(self, *, principal: Principal, app_id: str, hostname: str, tls: bool) -> DomainView:
        """Record the domain (pending) and send ROUTE_ADD to the app's server.

        Raises:
            InvalidArgument: ``hostname`` is not a valid DNS name.
            NotFound: Unknown app, or another org's.
            AlreadyExists: The hostname is assigned (in any org).
        """
        actor = writer(principal)
        host = hostname_of(hostname)
        now = self._d.clock()
        try:
            async with self._d.sessions() as session, session.begin():
                app = await apps.get(session, org_id=actor.org_id, app_id=app_id)
                if app is None:
                    raise NotFound(APP_NOT_FOUND)
                view = DomainView(
                    id=common.new_id(),
                    org_id=actor.org_id,
                    app_id=app.id,
                    hostname=host,
                    tls=tls,
                    status=PENDING,
                    last_error="",
                    server_id=app.server_id,
                    port=app.port,
                    command_id="",
                    created_at=now,
                    updated_at=now,
                )
                await repo.insert(session, view)
                await record(session, self._d, actor, _draft(DOMAIN_ADD, view, tls=tls, port=app.port))
                await routes.publish(session, self._d, server_id=view.server_id, org_id=actor.org_id)
        except IntegrityError as exc:
            if common.violates(exc, repo.HOSTNAME_INDEX):
                raise AlreadyExists(TAKEN, fields={"hostname": host}) from exc
            raise
        return await self._send_add(actor, view)

    async def delete(self, *, principal: Principal, app_id: str, domain_id: str) -> tuple[DomainView, bool]:
        """Mark the domain removing and send ROUTE_REMOVE; (view, True) when the row went at once.

        Deleting a domain that is already removing sends ROUTE_REMOVE again (after a failed removal).
        """
        actor = writer(principal)
        async with self._d.sessions() as session, session.begin():
            current = await repo.get(
                session, org_id=actor.org_id, app_id=app_id, domain_id=domain_id, lock=True
            )
            if current is None:
                raise NotFound(NOT_FOUND)
            view = await repo.set_state(
                session,
                domain_id=current.id,
                now=self._d.clock(),
                expect=(PENDING, ACTIVE, FAILED, REMOVING),
                status=REMOVING,
                command_id="",
                last_error="",
            )
            if view is None:  # cannot happen: the row is locked and every status is expected
                raise NotFound(NOT_FOUND)
            if current.status != REMOVING:
                await record(session, self._d, actor, _draft(DOMAIN_REMOVE, view))
                await routes.publish(session, self._d, server_id=view.server_id, org_id=view.org_id)
        if current.status == PENDING and current.command_id:
            await self._cancel_add(current)
        return await self._send_remove(view)

    async def _cancel_add(self, view: DomainView) -> None:
        # The agent runs commands concurrently: a ROUTE_ADD still queued with the ROUTE_REMOVE could run
        # after it and leave the route behind. A pending one is cancelled before it is ever delivered.
        try:
            await self._d.agents.cancel(org_id=view.org_id, command_id=view.command_id)
        except DomainError as exc:
            log.info("ROUTE_ADD not cancelled", domain_id=view.id, reason=exc.message)

    async def _issue(
        self, view: DomainView, type: int, payload: dict[str, object]
    ) -> AgentCommand | DomainError:
        # After the commit: the agents service is another process; its refusal is recorded on the row.
        try:
            return await self._d.agents.issue(
                org_id=view.org_id, server_id=view.server_id, type=type, payload=payload
            )
        except DomainError as exc:
            return exc

    async def _store_command(self, view: DomainView, command_id: str) -> DomainView:
        async with self._d.sessions() as session, session.begin():
            stored = await repo.set_state(
                session,
                domain_id=view.id,
                now=self._d.clock(),
                expect=(view.status,),
                expect_command="",
                command_id=command_id,
            )
        return stored or view

    async def _send_add(self, actor: Actor, view: DomainView) -> DomainView:
        sent = await self._issue(view, ROUTE_ADD, route_add_payload(view))
        if isinstance(sent, DomainError):
            return await self._failed(view, actor.name, f"ROUTE_ADD not queued: {sent.message}")
        return await self._store_command(view, sent.id)

    async def _send_remove(self, view: DomainView) -> tuple[DomainView, bool]:
        sent = await self._issue(view, ROUTE_REMOVE, {"domain": view.hostname})
        if isinstance(sent, NotFound):
            # The server is unknown to the agents service (deleted): no route is left to remove.
            async with self._d.sessions() as session, session.begin():
                await repo.delete(session, domain_id=view.id)
            log.info("domain removed without ROUTE_REMOVE", domain_id=view.id, reason=sent.message)
            return view, True
        if isinstance(sent, DomainError):
            return await self._stuck(view, f"ROUTE_REMOVE not queued: {sent.message}"), False
        return await self._store_command(view, sent.id), False

    async def _failed(self, view: DomainView, actor: str, error: str) -> DomainView:
        async with self._d.sessions() as session, session.begin():
            failed = await self._fail(session, view, actor, error, expect_command="")
        return failed or view

    async def _fail(
        self, session: AsyncSession, view: DomainView, actor: str, error: str, *, expect_command: str
    ) -> DomainView | None:
        failed = await repo.set_state(
            session,
            domain_id=view.id,
            now=self._d.clock(),
            expect=(PENDING,),
            expect_command=expect_command,
            status=FAILED,
            last_error=error,
        )
        if failed is not None:
            await record_many(
                session,
                self._d,
                org_id=view.org_id,
                actor=actor,
                drafts=[_draft(DOMAIN_FAILED, failed, error=error)],
            )
            await routes.publish(session, self._d, server_id=view.server_id, org_id=view.org_id)
        return failed

    async def _stuck(self, view: DomainView, error: str) -> DomainView:
        async with self._d.sessions() as session, session.begin():
            stuck = await repo.set_state(
                session,
                domain_id=view.id,
                now=self._d.clock(),
                expect=(REMOVING,),
                expect_command="",
                last_error=error,
            )
        return stuck or view

    async def finished(self, result: CommandResult) -> None:
        """Apply the final answer of a ROUTE_ADD/ROUTE_REMOVE; other commands are ignored.

        Raises:
            CommandIdPending: A domain of the server still waits for its command id (redeliver later).
        """
        if result.type not in (ROUTE_ADD, ROUTE_REMOVE):
            return
        async with self._d.sessions() as session, session.begin():
            view = await repo.by_command(session, command_id=result.command_id)
            if view is None:
                since = repo.recent(self._d.clock())
                if await repo.awaiting_command(session, server_id=result.server_id, since=since):
                    raise CommandIdPending("a domain command id is not stored yet")
                return
            if view.status == PENDING and result.type == ROUTE_ADD:
                await self._added(session, view, result)
            elif view.status == REMOVING and result.type == ROUTE_REMOVE:
                await self._removed(session, view, result)

    async def _added(self, session: AsyncSession, view: DomainView, result: CommandResult) -> None:
        if result.status != COMPLETED:
            error = error_text(result.status, result.output)
            await self._fail(session, view, AGENT_ACTOR, error, expect_command=view.command_id)
            return
        active = await repo.set_state(
            session, domain_id=view.id, now=self._d.clock(), expect=(PENDING,), status=ACTIVE, last_error=""
        )
        if active is not None:
            await record_many(
                session,
                self._d,
                org_id=view.org_id,
                actor=AGENT_ACTOR,
                drafts=[_draft(DOMAIN_ACTIVE, active)],
            )

    async def _removed(self, session: AsyncSession, view: DomainView, result: CommandResult) -> None:
        if result.status == COMPLETED:
            await repo.delete(session, domain_id=view.id)
            return
        # The route may still be served: keep the row so a DELETE can try again.
        await repo.set_state(
            session,
            domain_id=view.id,
            now=self._d.clock(),
            expect=(REMOVING,),
            last_error=error_text(result.status, result.output),
        )
