"""Project use cases: create, list, get, update, delete (each write appends to the change feed)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.domain import common
from switchyard.deploy.domain.access import Actor, reader_org, writer
from switchyard.deploy.domain.changes import models as ch
from switchyard.deploy.domain.changes.recorder import record
from switchyard.deploy.domain.context import Deps
from switchyard.deploy.domain.projects import repository as repo
from switchyard.deploy.domain.projects.models import ProjectPatch, ProjectView
from switchyard.grpckit.errors import AlreadyExists, Conflict, NotFound
from switchyard.grpckit.principal import Principal

NOT_FOUND = "project not found"
SLUG_TAKEN = "a project with this slug already exists"


def _draft(kind: str, view: ProjectView, **summary: object) -> ch.ChangeDraft:
    return ch.ChangeDraft(
        type=kind,
        entity_type="project",
        entity_id=view.id,
        summary={"name": view.name, "slug": view.slug, **summary},
    )


class ProjectService:
    """An org's projects."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def _found(self, session: AsyncSession, actor: Actor, project_id: str) -> ProjectView:
        view = await repo.get(session, org_id=actor.org_id, project_id=project_id, lock=True)
        if view is None:
            raise NotFound(NOT_FOUND)
        return view

    async def create(self, *, principal: Principal, name: str, slug: str, description: str) -> ProjectView:
        """A new project of the caller's org."""
        actor = writer(principal)
        clean = common.name_of(name)
        now = self._d.clock()
        view = ProjectView(
            id=common.new_id(),
            org_id=actor.org_id,
            name=clean,
            slug=common.slug_of(slug, name=clean),
            description=common.description_of(description),
            created_at=now,
            updated_at=now,
        )
        try:
            async with self._d.sessions() as session, session.begin():
                await repo.insert(session, view)
                await record(session, self._d, actor, _draft(ch.PROJECT_CREATE, view))
        except IntegrityError as exc:
            if common.violates(exc, repo.SLUG_CONSTRAINT):
                raise AlreadyExists(SLUG_TAKEN) from exc
            raise
        return view

    async def list(self, *, principal: Principal) -> list[ProjectView]:
        """The org's projects, oldest first."""
        org = reader_org(principal)
        async with self._d.reads() as session:
            return await repo.list_for_org(session, org_id=org)

    async def get(self, *, principal: Principal, project_id: str) -> ProjectView:
        """One project of the org."""
        org = reader_org(principal)
        async with self._d.reads() as session:
            view = await repo.get(session, org_id=org, project_id=project_id)
        if view is None:
            raise NotFound(NOT_FOUND)
        return view

    async def update(self, *, principal: Principal, project_id: str, patch: ProjectPatch) -> ProjectView:
        """Change the fields the patch sets."""
        actor = writer(principal)
        try:
            async with self._d.sessions() as session, session.begin():
                current = await self._found(session, actor, project_id)
                updated = replace(
                    current,
                    name=current.name if patch.name is None else common.name_of(patch.name),
                    slug=current.slug if patch.slug is None else common.slug_of(patch.slug, name=""),
                    description=(
                        current.description
                        if patch.description is None
                        else common.description_of(patch.description)
                    ),
                    updated_at=self._d.clock(),
                )
                fields = [
                    f for f in ("name", "slug", "description") if getattr(updated, f) != getattr(current, f)
                ]
                if fields:
                    await repo.update(session, updated)
                    await record(session, self._d, actor, _draft(ch.PROJECT_UPDATE, updated, fields=fields))
        except IntegrityError as exc:
            if common.violates(exc, repo.SLUG_CONSTRAINT):
                raise AlreadyExists(SLUG_TAKEN) from exc
            raise
        return updated if fields else current

    async def delete(self, *, principal: Principal, project_id: str) -> None:
        """Delete a project that has no apps left."""
        actor = writer(principal)
        async with self._d.sessions() as session, session.begin():
            view = await self._found(session, actor, project_id)
            if await repo.has_apps(session, project_id=view.id):
                raise Conflict("the project still has apps; delete them first")
            await repo.delete(session, project_id=view.id)
            await record(session, self._d, actor, _draft(ch.PROJECT_DELETE, view))
