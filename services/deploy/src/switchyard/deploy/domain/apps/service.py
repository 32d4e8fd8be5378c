"""App use cases: create (with its "production" environment), list, get, update, delete."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.domain import common
from switchyard.deploy.domain.access import Actor, reader_org, writer
from switchyard.deploy.domain.apps import models as m
from switchyard.deploy.domain.apps import repository as repo
from switchyard.deploy.domain.changes import models as ch
from switchyard.deploy.domain.changes.recorder import record
from switchyard.deploy.domain.context import Deps
from switchyard.deploy.domain.domains import repository as domains
from switchyard.deploy.domain.projects import repository as projects
from switchyard.grpckit.errors import AlreadyExists, Conflict, InvalidArgument, NotFound
from switchyard.grpckit.principal import Principal

NOT_FOUND = "app not found"
SLUG_TAKEN = "an app with this slug already exists in the project"
# Domains route to the app's server and port as they were when added; they do not follow a move.
ROUTED_APP = "the app has domains; delete them before changing serverId or port"
# The fields an update may name in the feed; start_command is named, never shown (it may embed secrets).
_SHOWN = ("name", "slug", "server_id", "port", "health_check_path")


def _draft(kind: str, view: m.AppView, **summary: object) -> ch.ChangeDraft:
    return ch.ChangeDraft(
        type=kind,
        entity_type="app",
        entity_id=view.id,
        app_id=view.id,
        summary={"name": view.name, "slug": view.slug, **summary},
    )


def _patched(current: m.AppView, patch: m.AppPatch, now: datetime) -> m.AppView:
    name = current.name if patch.name is None else common.name_of(patch.name)
    return replace(
        current,
        name=name,
        slug=current.slug if patch.slug is None else common.slug_of(patch.slug, name=""),
        server_id=current.server_id
        if patch.server_id is None
        else common.uuidish(patch.server_id, "serverId"),
        port=current.port if patch.port is None else m.port_of(patch.port),
        health_check_path=(
            current.health_check_path
            if patch.health_check_path is None
            else m.health_check_path_of(patch.health_check_path)
        ),
        start_command=(
            current.start_command if patch.start_command is None else m.start_command_of(patch.start_command)
        ),
        updated_at=now,
    )


async def found_app(session: AsyncSession, org_id: str, app_id: str, *, lock: bool = False) -> m.AppView:
    """The org's app or NOT_FOUND (another org's id is NOT_FOUND too)."""
    view = await repo.get(session, org_id=org_id, app_id=app_id, lock=lock) if app_id else None
    if view is None:
        raise NotFound(NOT_FOUND)
    return view


class AppService:
    """An org's apps."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    def _new(self, actor: Actor, project_id: str, fields: m.AppPatch) -> m.AppView:
        name = common.name_of(fields.name or "")
        now = self._d.clock()
        return m.AppView(
            id=common.new_id(),
            org_id=actor.org_id,
            project_id=project_id,
            name=name,
            slug=common.slug_of(fields.slug or "", name=name),
            server_id=common.uuidish(fields.server_id or "", "serverId"),
            port=m.port_of(fields.port or 0),
            health_check_path=m.health_check_path_of(fields.health_check_path or ""),
            start_command=m.start_command_of(fields.start_command or ""),
            created_at=now,
            updated_at=now,
        )

    async def create(self, *, principal: Principal, project_id: str, fields: m.AppPatch) -> m.AppView:
        """A new app of one of the org's projects, with its "production" environment."""
        actor = writer(principal)
        if not project_id.strip():
            raise InvalidArgument("projectId is required")
        view = self._new(actor, project_id.strip(), fields)
        production = m.EnvironmentView(
            id=common.new_id(),
            org_id=actor.org_id,
            app_id=view.id,
            name=m.PRODUCTION,
            created_at=view.created_at,
        )
        try:
            async with self._d.sessions() as session, session.begin():
                if await projects.get(session, org_id=actor.org_id, project_id=view.project_id) is None:
                    raise NotFound("project not found")
                await repo.insert(session, view)
                await repo.insert_environment(session, production)
                summary = {"projectId": view.project_id, "serverId": view.server_id}
                await record(session, self._d, actor, _draft(ch.APP_CREATE, view, **summary))
        except IntegrityError as exc:
            if common.violates(exc, repo.SLUG_CONSTRAINT):
                raise AlreadyExists(SLUG_TAKEN) from exc
            raise
        return view

    async def list(self, *, principal: Principal, project_id: str = "") -> list[m.AppView]:
        """The org's apps, oldest first."""
        org = reader_org(principal)
        async with self._d.reads() as session:
            return await repo.list_for_org(session, org_id=org, project_id=project_id)

    async def get(self, *, principal: Principal, app_id: str) -> m.AppView:
        """One app of the org."""
        org = reader_org(principal)
        async with self._d.reads() as session:
            return await found_app(session, org, app_id)

    async def update(self, *, principal: Principal, app_id: str, patch: m.AppPatch) -> m.AppView:
        """Change the fields the patch sets."""
        actor = writer(principal)
        try:
            async with self._d.sessions() as session, session.begin():
                current = await found_app(session, actor.org_id, app_id, lock=True)
                updated = _patched(current, patch, self._d.clock())
                names = [f for f in (*_SHOWN, "start_command") if getattr(updated, f) != getattr(current, f)]
                if not names:
                    return current
                if {"server_id", "port"} & set(names) and await domains.has_domains(
                    session, app_id=current.id
                ):
                    raise Conflict(ROUTED_APP)
                await repo.update(session, updated)
                changed = {common.camel(f): getattr(updated, f) for f in names if f in _SHOWN}
                fields = [common.camel(f) for f in names]
                await record(
                    session, self._d, actor, _draft(ch.APP_UPDATE, updated, fields=fields, changed=changed)
                )
        except IntegrityError as exc:
            if common.violates(exc, repo.SLUG_CONSTRAINT):
                raise AlreadyExists(SLUG_TAKEN) from exc
            raise
        return updated

    async def delete(self, *, principal: Principal, app_id: str) -> None:
        """Delete an app, its environments and env vars (the reveal audit stays)."""
        actor = writer(principal)
        async with self._d.sessions() as session, session.begin():
            view = await found_app(session, actor.org_id, app_id, lock=True)
            if await domains.has_domains(session, app_id=view.id):
                raise Conflict("the app still has domains; delete them first")
            await repo.delete(session, app_id=view.id)
            await record(session, self._d, actor, _draft(ch.APP_DELETE, view))
