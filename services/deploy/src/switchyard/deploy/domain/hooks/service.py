"""Deploy hook use cases: create (the token is shown once), list, delete, and trigger (no session: the token
is the proof; one deployment per hook per ``hook_min_interval_seconds``)."""

from __future__ import annotations

import hashlib
import math
import secrets

from switchyard.deploy.domain import common
from switchyard.deploy.domain.access import Actor, reader_org, writer
from switchyard.deploy.domain.apps.models import environment_name_of
from switchyard.deploy.domain.apps.service import found_app
from switchyard.deploy.domain.changes import models as ch
from switchyard.deploy.domain.changes.recorder import record
from switchyard.deploy.domain.context import Deps
from switchyard.deploy.domain.deployments.models import DeploymentView
from switchyard.deploy.domain.deployments.service import DeploymentService
from switchyard.deploy.domain.envvars.service import find_place
from switchyard.deploy.domain.hooks import repository as repo
from switchyard.deploy.domain.hooks.repository import HookView
from switchyard.grpckit.errors import NotFound, TooManyRequests
from switchyard.grpckit.principal import Principal

TOKEN_PREFIX = "sydh_"
NOT_FOUND = "deploy hook not found"
HOOK_CREATE, HOOK_DELETE = "hook.create", "hook.delete"


def token_hash(token: str) -> str:
    """SHA-256 hex of a hook token (only hashes are stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _draft(kind: str, view: HookView) -> ch.ChangeDraft:
    return ch.ChangeDraft(
        type=kind,
        entity_type="hook",
        entity_id=view.id,
        app_id=view.app_id,
        summary={"name": view.name, "environment": view.environment},
    )


class HookService:
    """An org's deploy hooks."""

    def __init__(self, deps: Deps, deployments: DeploymentService) -> None:
        self._d = deps
        self._deployments = deployments

    async def create(
        self, *, principal: Principal, app_id: str, environment: str, name: str
    ) -> tuple[HookView, str]:
        """A new hook and its token (returned here only; the hash is stored)."""
        actor = writer(principal)
        label = common.name_of(name) if name.strip() else "deploy hook"
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        async with self._d.sessions() as session, session.begin():
            place = await find_place(session, actor.org_id, app_id, environment, lock=False)
            view = HookView(
                id=common.new_id(),
                org_id=actor.org_id,
                app_id=place.app.id,
                environment=place.environment.name,
                name=label,
                token_hash=token_hash(token),
                token_hint=token[-4:],
                created_by=actor.name,
                created_at=self._d.clock(),
            )
            await repo.insert(session, view)
            await record(session, self._d, actor, _draft(HOOK_CREATE, view))
        return view, token

    async def list(self, *, principal: Principal, app_id: str) -> list[HookView]:
        """An app's hooks (never their tokens)."""
        org = reader_org(principal)
        async with self._d.reads() as session:
            app = await found_app(session, org, app_id)
            return await repo.for_app(session, org_id=org, app_id=app.id)

    async def delete(self, *, principal: Principal, app_id: str, hook_id: str) -> None:
        """Remove a hook; its token stops working at once."""
        actor = writer(principal)
        async with self._d.sessions() as session, session.begin():
            app = await found_app(session, actor.org_id, app_id)
            view = await repo.delete(session, org_id=actor.org_id, app_id=app.id, hook_id=hook_id.strip())
            if view is None:
                raise NotFound(NOT_FOUND)
            await record(session, self._d, actor, _draft(HOOK_DELETE, view))

    async def trigger(self, *, token: str, image_tag: str) -> DeploymentView:
        """Deploy the hook's environment as ``hook:<id>`` (NOT_FOUND for an unknown token)."""
        if not token.startswith(TOKEN_PREFIX):
            raise NotFound(NOT_FOUND)
        digest, now = token_hash(token), self._d.clock()
        interval = self._d.hook_min_interval_seconds
        async with self._d.sessions() as session, session.begin():
            hook = await repo.claim(session, token_hash=digest, now=now, min_interval=interval)
            if hook is None:
                known = await repo.by_hash(session, token_hash=digest)
                if known is None:
                    raise NotFound(NOT_FOUND)
                used = known.last_used_at or now
                wait = max(1, math.ceil(interval - (now - used).total_seconds()))
                raise TooManyRequests("deploy hook used too recently", retry_after=wait)
        actor = Actor(org_id=hook.org_id, name=f"hook:{hook.id}")
        return await self._deployments.create_as(
            actor, app_id=hook.app_id, environment=environment_name_of(hook.environment), image_tag=image_tag
        )
