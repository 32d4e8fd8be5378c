"""Environment use cases: list, create, delete ("production" exists from the app's creation and stays)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from switchyard.deploy.domain import common
from switchyard.deploy.domain.access import reader_org, writer
from switchyard.deploy.domain.apps import models as m
from switchyard.deploy.domain.apps import repository as repo
from switchyard.deploy.domain.apps.service import found_app
from switchyard.deploy.domain.changes import models as ch
from switchyard.deploy.domain.changes.recorder import record
from switchyard.deploy.domain.context import Deps
from switchyard.grpckit.errors import AlreadyExists, Conflict, InvalidArgument, NotFound
from switchyard.grpckit.principal import Principal

NOT_FOUND = "environment not found"


def _draft(kind: str, view: m.EnvironmentView) -> ch.ChangeDraft:
    return ch.ChangeDraft(
        type=kind,
        entity_type="environment",
        entity_id=view.id,
        app_id=view.app_id,
        summary={"name": view.name},
    )


class EnvironmentService:
    """The environments of an org's apps."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def list(self, *, principal: Principal, app_id: str) -> list[m.EnvironmentView]:
        """An app's environments by name."""
        org = reader_org(principal)
        async with self._d.reads() as session:
            app = await found_app(session, org, app_id)
            return await repo.environments(session, app_id=app.id)

    async def create(self, *, principal: Principal, app_id: str, name: str) -> m.EnvironmentView:
        """A new environment of the app."""
        actor = writer(principal)
        if not name.strip():
            raise InvalidArgument("name is required")
        clean = m.environment_name_of(name)
        try:
            async with self._d.sessions() as session, session.begin():
                app = await found_app(session, actor.org_id, app_id)
                view = m.EnvironmentView(
                    id=common.new_id(),
                    org_id=actor.org_id,
                    app_id=app.id,
                    name=clean,
                    created_at=self._d.clock(),
                )
                await repo.insert_environment(session, view)
                await record(session, self._d, actor, _draft(ch.ENVIRONMENT_CREATE, view))
        except IntegrityError as exc:
            if common.violates(exc, repo.ENV_NAME_CONSTRAINT):
                raise AlreadyExists("an environment with this name already exists") from exc
            raise
        return view

    async def delete(self, *, principal: Principal, app_id: str, name: str) -> None:
        """Delete an environment and its env vars; "production" cannot be deleted."""
        actor = writer(principal)
        async with self._d.sessions() as session, session.begin():
            app = await found_app(session, actor.org_id, app_id)
            view = await repo.environment(
                session, org_id=actor.org_id, app_id=app.id, name=name.strip(), lock=True
            )
            if view is None:
                raise NotFound(NOT_FOUND)
            if view.name == m.PRODUCTION:
                raise Conflict("the production environment cannot be deleted")
            await repo.delete_environment(session, environment_id=view.id)
            await record(session, self._d, actor, _draft(ch.ENVIRONMENT_DELETE, view))
