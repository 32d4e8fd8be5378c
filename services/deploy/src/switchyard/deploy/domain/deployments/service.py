"""Deployment use cases: create (gated by approval), dispatch to the agent, cancel, rollback, approve,
reject, and the projection of the agents' command events onto deployments."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.domain import common
from switchyard.deploy.domain.access import ADMIN_ROLES, Actor, reader_org, writer
from switchyard.deploy.domain.apps import models as am
from switchyard.deploy.domain.apps.service import found_app
from switchyard.deploy.domain.changes import models as ch
from switchyard.deploy.domain.changes.recorder import record, record_many
from switchyard.deploy.domain.context import Deps
from switchyard.deploy.domain.deployments import models as m
from switchyard.deploy.domain.deployments import repository as repo
from switchyard.deploy.domain.envvars import repository as env_repo
from switchyard.deploy.domain.envvars.sealing import open_sealed
from switchyard.deploy.domain.envvars.service import find_place
from switchyard.deploy.domain.placement import repository as placement_repo
from switchyard.grpckit.errors import Conflict, DomainError, NotFound, PermissionDenied
from switchyard.grpckit.principal import ADMIN_KEY, USER, Principal
from switchyard.obs import get_logger

log = get_logger(__name__)

NOT_FOUND = "deployment not found"
# Feed types.
CREATE, APPROVE, REJECT, CANCEL = (
    "deployment.create",
    "deployment.approve",
    "deployment.reject",
    "deployment.cancel",
)
SUCCEEDED, FAILED, ROLLBACK = "deployment.succeeded", "deployment.failed", "deployment.rollback"
# The feed's actor for transitions the agent caused.
AGENT_ACTOR = "agents"


def approver(principal: Principal) -> Actor:
    """Approvals are a person's (or their admin key's) decision: owner or admin, never a service."""
    if principal.kind not in (USER, ADMIN_KEY) or principal.role not in ADMIN_ROLES:
        raise PermissionDenied("approving or rejecting a deployment requires org admin or owner role")
    name = principal.user_id if principal.kind == USER else f"key:{principal.token_id}"
    return Actor(org_id=principal.require_tenant(), name=name)


def _draft(kind: str, view: m.DeploymentView, **summary: object) -> ch.ChangeDraft:
    return ch.ChangeDraft(
        type=kind,
        entity_type="deployment",
        entity_id=view.id,
        app_id=view.app_id,
        summary={"environment": view.environment, "status": view.status, **summary},
    )


async def _refuse_unschedulable(session: AsyncSession, org_id: str, server_id: str) -> None:
    """A cordoned or draining server takes no new deployment (rollbacks included), like a cordoned node.

    A server deploy has not heard of yet (its agents event still in flight) is not refused: agents decides.
    """
    placement = await placement_repo.get(session, org_id=org_id, server_id=server_id)
    if placement is None:
        return
    if placement.draining or placement.cordoned:
        state = "draining" if placement.draining else "cordoned"
        raise Conflict(f"server {server_id} is {state}: it takes no new deployments until it is uncordoned")


class DeploymentService:
    """An org's deployments."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    # -- events for watchers --------------------------------------------------------------------------

    async def _emit(self, view: m.DeploymentView, message: str, at: datetime | None = None) -> None:
        if self._d.progress is None:
            return
        try:
            await self._d.progress.append(
                deployment_id=view.id, status=view.status, message=message, at=at or self._d.clock()
            )
        except Exception:
            # Watchers lose one line; the row (and the feed) still say what happened.
            log.warning("deployment event not appended", deployment_id=view.id, exc_info=True)

    # -- reads ----------------------------------------------------------------------------------------

    async def get(self, *, principal: Principal, deployment_id: str) -> m.DeploymentView:
        """One deployment of the org (another org's id is NOT_FOUND)."""
        org = reader_org(principal)
        async with self._d.reads() as session:
            found = await repo.get(session, deployment_id=deployment_id.strip(), org_id=org)
        if found is None:
            raise NotFound(NOT_FOUND)
        return found

    async def list(
        self, *, principal: Principal, app_id: str, environment: str, limit: int
    ) -> list[m.DeploymentView]:
        """An app's deployments, newest first."""
        org = reader_org(principal)
        size = m.list_limit(limit)
        name = am.environment_name_of(environment, "environment") if environment.strip() else ""
        async with self._d.reads() as session:
            app = await found_app(session, org, app_id)
            return await repo.for_app(session, org_id=org, app_id=app.id, environment=name, limit=size)

    # -- create, approve, dispatch --------------------------------------------------------------------

    async def create(
        self, *, principal: Principal, app_id: str, environment: str, image_tag: str
    ) -> m.DeploymentView:
        """A deployment of the app's current spec (``queued`` and dispatched, or ``pending_approval``)."""
        return await self.create_as(
            writer(principal), app_id=app_id, environment=environment, image_tag=image_tag
        )

    async def create_as(
        self, actor: Actor, *, app_id: str, environment: str, image_tag: str
    ) -> m.DeploymentView:
        """``create`` for an actor already authorised (a deploy hook acts for its org)."""
        tag = m.image_tag_of(image_tag)
        async with self._d.sessions() as session, session.begin():
            place = await find_place(session, actor.org_id, app_id, environment, lock=False)
            app = place.app
            if not app.start_command:
                raise Conflict("the app has no startCommand to run")
            spec = {
                "container_name": m.container_name(app.slug, place.environment.name, app.id),
                "port": app.port,
                "health_check_path": app.health_check_path,
                "start_command": app.start_command,
            }
            view = await self._insert(session, actor, place.environment, app.id, app.server_id, spec, tag, "")
        return await self._after_insert(view)

    async def rollback(self, *, principal: Principal, deployment_id: str) -> m.DeploymentView:
        """Deploy the spec of a previous succeeded deployment again (``rollback_of`` = that deployment)."""
        actor = writer(principal)
        async with self._d.sessions() as session, session.begin():
            target = await repo.get(session, deployment_id=deployment_id.strip(), org_id=actor.org_id)
            if target is None:
                raise NotFound(NOT_FOUND)
            if target.status != m.SUCCEEDED:
                raise Conflict(
                    f"only a succeeded deployment can be rolled back to (this one is {target.status})"
                )
            place = await find_place(session, actor.org_id, target.app_id, target.environment, lock=False)
            view = await self._insert(
                session,
                actor,
                place.environment,
                target.app_id,
                target.server_id,
                dict(target.spec),
                target.image_tag,
                target.id,
            )
        return await self._after_insert(view)

    async def _insert(
        self,
        session: AsyncSession,
        actor: Actor,
        environment: am.EnvironmentView,
        app_id: str,
        server_id: str,
        spec: dict[str, Any],
        image_tag: str,
        rollback_of: str,
    ) -> m.DeploymentView:
        await _refuse_unschedulable(session, actor.org_id, server_id)
        now = self._d.clock()
        view = m.DeploymentView(
            id=common.new_id(),
            org_id=actor.org_id,
            app_id=app_id,
            environment_id=environment.id,
            environment=environment.name,
            server_id=server_id,
            status=m.PENDING_APPROVAL if environment.requires_approval else m.QUEUED,
            requested_by=actor.name,
            approved_by="",
            command_id="",
            rollback_of=rollback_of or None,
            image_tag=image_tag,
            spec=spec,
            error="",
            message="",
            created_at=now,
            updated_at=now,
        )
        await repo.insert(session, view)
        kind, extra = (ROLLBACK, {"rollbackOf": rollback_of}) if rollback_of else (CREATE, {})
        await record(
            session, self._d, actor, _draft(kind, view, imageTag=image_tag, serverId=server_id, **extra)
        )
        return view

    async def _after_insert(self, view: m.DeploymentView) -> m.DeploymentView:
        if view.status == m.PENDING_APPROVAL:
            await self._emit(view, "waiting for approval")
            return view
        await self._emit(view, "queued")
        return await self._dispatch(view)

    async def _env_values(self, view: m.DeploymentView) -> dict[str, str]:
        async with self._d.reads() as session:
            rows = await env_repo.sealed(session, environment_id=view.environment_id)
        values: dict[str, str] = {}
        for row in rows:
            plain = open_sealed(
                row.value_enc,
                kek=self._d.env_kek,
                org_id=row.org_id,
                app_id=row.app_id,
                environment_id=row.environment_id,
                key=row.key,
            )
            if plain is None:
                log.warning("env var cannot be decrypted; left out of the deployment", key=row.key)
                continue
            values[row.key] = plain
        return values

    async def _dispatch(self, view: m.DeploymentView) -> m.DeploymentView:
        """APP_DEPLOY with command id = deployment id (idempotent), env values only in the sealed part."""
        env = await self._env_values(view)
        try:
            await self._d.agents.issue(
                org_id=view.org_id,
                server_id=view.server_id,
                type=m.APP_DEPLOY,
                payload=m.command_payload(view.spec, view.image_tag),
                command_id=view.id,
                secret_payload={"env_vars": env} if env else None,
            )
        except DomainError as exc:
            return await self._finish(view.id, m.FAILED, f"not dispatched: {exc.message}", AGENT_ACTOR)
        async with self._d.sessions() as session, session.begin():
            # Whatever the state by now (the agent may already have finished it): the command exists.
            moved = await repo.move(
                session,
                deployment_id=view.id,
                from_states=(*m.OPEN, *m.FINAL),
                now=self._d.clock(),
                command_id=view.id,
            )
        return moved or view

    async def approve(self, *, principal: Principal, deployment_id: str) -> m.DeploymentView:
        """pending_approval -> queued, then dispatch."""
        actor = approver(principal)
        async with self._d.sessions() as session, session.begin():
            view = await self._pending(session, actor, deployment_id)
            moved = await repo.move(
                session,
                deployment_id=view.id,
                from_states=(m.PENDING_APPROVAL,),
                now=self._d.clock(),
                status=m.QUEUED,
                approved_by=actor.name,
            )
            if moved is None:
                raise Conflict("the deployment is no longer pending approval")
            await record(session, self._d, actor, _draft(APPROVE, moved))
        await self._emit(moved, f"approved by {actor.name}")
        return await self._dispatch(moved)

    async def reject(self, *, principal: Principal, deployment_id: str, reason: str) -> m.DeploymentView:
        """pending_approval -> rejected."""
        actor = approver(principal)
        why = m.reason_of(reason)
        now = self._d.clock()
        async with self._d.sessions() as session, session.begin():
            view = await self._pending(session, actor, deployment_id)
            moved = await repo.move(
                session,
                deployment_id=view.id,
                from_states=(m.PENDING_APPROVAL,),
                now=now,
                status=m.REJECTED,
                approved_by=actor.name,
                error=why or "rejected",
                finished_at=now,
            )
            if moved is None:
                raise Conflict("the deployment is no longer pending approval")
            await record(session, self._d, actor, _draft(REJECT, moved, reason=why))
        await self._emit(moved, f"rejected by {actor.name}" + (f": {why}" if why else ""))
        return moved

    async def _pending(self, session: AsyncSession, actor: Actor, deployment_id: str) -> m.DeploymentView:
        view = await repo.get(session, deployment_id=deployment_id.strip(), org_id=actor.org_id)
        if view is None:
            raise NotFound(NOT_FOUND)
        if view.status != m.PENDING_APPROVAL:
            raise Conflict(f"the deployment is {view.status}, not pending approval")
        return view

    # -- cancel ---------------------------------------------------------------------------------------

    async def cancel(self, *, principal: Principal, deployment_id: str) -> m.DeploymentView:
        """pending_approval/queued -> cancelled at once; running -> the agent is asked to stop."""
        actor = writer(principal)
        view = await self.get(principal=principal, deployment_id=deployment_id)
        if view.final:
            raise Conflict(f"the deployment is already {view.status}")
        if view.command_id:
            command = await self._d.agents.cancel(org_id=view.org_id, command_id=view.command_id)
            if command is not None and command.status not in ("cancelled", "pending"):
                # Dispatched or running: CANCEL_COMMAND is on its way; the final event decides.
                async with self._d.sessions() as session, session.begin():
                    await record(session, self._d, actor, _draft(CANCEL, view, requested=True))
                await self._emit(view, f"cancel requested by {actor.name}")
                return view
        return await self._finish(view.id, m.CANCELLED, f"cancelled by {actor.name}", actor.name, kind=CANCEL)

    # -- the agents' command events -------------------------------------------------------------------

    async def _finish(
        self, deployment_id: str, status: str, message: str, actor: str, *, kind: str = ""
    ) -> m.DeploymentView:
        now = self._d.clock()
        error = "" if status == m.SUCCEEDED else m.clip(message)
        async with self._d.sessions() as session, session.begin():
            moved = await repo.move(
                session,
                deployment_id=deployment_id,
                from_states=m.OPEN,
                now=now,
                status=status,
                error=error,
                message=m.clip(message),
                finished_at=now,
            )
            if moved is None:
                current = await repo.get(session, deployment_id=deployment_id)
                if current is None:
                    raise NotFound(NOT_FOUND)
                return current
            feed = kind or {m.SUCCEEDED: SUCCEEDED, m.CANCELLED: CANCEL}.get(status, FAILED)
            await record_many(
                session, self._d, org_id=moved.org_id, actor=actor, drafts=[_draft(feed, moved)]
            )
        await self._emit(moved, m.clip(message) or status, now)
        return moved

    async def command_progress(self, *, org_id: str, command_id: str, output: str, at: datetime) -> bool:
        """A progress frame of a deployment's command: queued -> running, and the line goes to watchers."""
        async with self._d.sessions() as session, session.begin():
            view = await repo.get(session, deployment_id=command_id, org_id=org_id)
            if view is None or view.final:
                return view is not None
            moved = await repo.move(
                session,
                deployment_id=view.id,
                from_states=(m.QUEUED, m.RUNNING),
                now=self._d.clock(),
                status=m.RUNNING,
                message=m.clip(output),
                started_at=view.started_at or at,
            )
        await self._emit(moved or replace(view, status=m.RUNNING), m.clip(output), at)
        return True

    async def command_finished(self, *, org_id: str, command_id: str, status: str, output: str) -> bool:
        """The command's final state decides the deployment's (only commands deploy issued: ids match)."""
        async with self._d.reads() as session:
            view = await repo.get(session, deployment_id=command_id, org_id=org_id)
        if view is None:
            return False
        final = m.final_of_command(status)
        lines = [line for line in output.strip().splitlines() if line.strip()]
        await self._finish(view.id, final, lines[-1] if lines else status, AGENT_ACTOR)
        return True

    # -- environments ---------------------------------------------------------------------------------

    async def set_approval(
        self, *, principal: Principal, app_id: str, environment: str, requires_approval: bool
    ) -> am.EnvironmentView:
        """Turn an environment's approval requirement on or off (a feed entry when it changes)."""
        actor = writer(principal)
        async with self._d.sessions() as session, session.begin():
            place = await find_place(session, actor.org_id, app_id, environment, lock=True)
            env = place.environment
            if env.requires_approval == requires_approval:
                return env
            await repo.set_requires_approval(session, environment_id=env.id, value=requires_approval)
            draft = ch.ChangeDraft(
                type="environment.approval",
                entity_type="environment",
                entity_id=env.id,
                app_id=env.app_id,
                summary={"name": env.name, "requiresApproval": requires_approval},
            )
            await record(session, self._d, actor, draft)
        return replace(env, requires_approval=requires_approval)
