"""Placement use cases: read, labels, cordon/uncordon, drain/undrain, pools and pool assignment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.domain import common
from switchyard.deploy.domain.access import Actor, reader_org, writer
from switchyard.deploy.domain.changes import models as ch
from switchyard.deploy.domain.changes.recorder import record
from switchyard.deploy.domain.context import Deps
from switchyard.deploy.domain.placement import models as m
from switchyard.deploy.domain.placement import repository as repo
from switchyard.grpckit.errors import AlreadyExists, Conflict, NotFound
from switchyard.grpckit.principal import Principal

SERVER_NOT_FOUND = "server not found"
POOL_NOT_FOUND = "pool not found"
# action -> (cordoned, draining) after it; None keeps the current value.
_STATES: dict[str, tuple[bool, bool | None]] = {
    "cordon": (True, None),
    "uncordon": (False, None),
    "drain": (True, True),
    "undrain": (False, False),
}


def _server_draft(kind: str, view: m.PlacementView, **summary: Any) -> ch.ChangeDraft:
    return ch.ChangeDraft(type=kind, entity_type="server", entity_id=view.server_id, summary=summary)


class PlacementService:
    """Placement of an org's servers and its pools."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def _server(self, session: AsyncSession, actor: Actor, server_id: str) -> m.PlacementView:
        view = await repo.get(session, org_id=actor.org_id, server_id=server_id.strip(), lock=True)
        if view is None:
            raise NotFound(SERVER_NOT_FOUND)
        return view

    async def get(self, *, principal: Principal, server_id: str) -> m.PlacementView:
        """A server's placement; unknown, deleted or another org's servers are NOT_FOUND."""
        org = reader_org(principal)
        async with self._d.reads() as session:
            view = await repo.get(session, org_id=org, server_id=server_id.strip())
        if view is None:
            raise NotFound(SERVER_NOT_FOUND)
        return view

    async def set_labels(
        self, *, principal: Principal, server_id: str, labels: Mapping[str, str]
    ) -> m.PlacementView:
        """Replace a server's labels."""
        actor = writer(principal)
        clean = m.labels_of(labels)
        async with self._d.sessions() as session, session.begin():
            current = await self._server(session, actor, server_id)
            if clean == current.labels:
                return current
            view = await repo.set_fields(
                session, server_id=current.server_id, now=self._d.clock(), labels=clean
            )
            await record(session, self._d, actor, _server_draft(ch.SERVER_LABELS, view, labels=clean))
        return view

    async def set_state(self, *, principal: Principal, server_id: str, action: str) -> m.PlacementView:
        """Cordon, uncordon, drain or undrain a server (a no-op when already so)."""
        actor = writer(principal)
        cordoned, draining = _STATES[action]
        async with self._d.sessions() as session, session.begin():
            current = await self._server(session, actor, server_id)
            if action == "uncordon" and current.draining:
                raise Conflict("the server is draining; undrain it instead")
            draining = current.draining if draining is None else draining
            if (current.cordoned, current.draining) == (cordoned, draining):
                return current
            view = await repo.set_fields(
                session,
                server_id=current.server_id,
                now=self._d.clock(),
                cordoned=cordoned,
                draining=draining,
            )
            summary = {"action": action, "cordoned": cordoned, "draining": draining}
            await record(session, self._d, actor, _server_draft(ch.SERVER_STATE, view, **summary))
        return view

    async def create_pool(
        self, *, principal: Principal, name: str, description: str, selector: Mapping[str, str]
    ) -> m.PoolView:
        """A new pool of the org."""
        actor = writer(principal)
        view = m.PoolView(
            id=common.new_id(),
            org_id=actor.org_id,
            name=common.name_of(name),
            description=common.description_of(description),
            selector=m.labels_of(selector, "selector"),
            created_at=self._d.clock(),
        )
        draft = ch.ChangeDraft(
            type=ch.POOL_CREATE, entity_type="pool", entity_id=view.id, summary={"name": view.name}
        )
        try:
            async with self._d.sessions() as session, session.begin():
                await repo.insert_pool(session, view)
                await record(session, self._d, actor, draft)
        except IntegrityError as exc:
            if common.violates(exc, repo.POOL_NAME_CONSTRAINT):
                raise AlreadyExists("a pool with this name already exists") from exc
            raise
        return view

    async def list_pools(self, *, principal: Principal) -> list[m.PoolView]:
        """The org's pools by name."""
        org = reader_org(principal)
        async with self._d.reads() as session:
            return await repo.pools(session, org_id=org)

    async def delete_pool(self, *, principal: Principal, pool_id: str) -> None:
        """Delete a pool; its servers become unassigned."""
        actor = writer(principal)
        async with self._d.sessions() as session, session.begin():
            view = (
                await repo.pool(session, org_id=actor.org_id, pool_id=pool_id.strip())
                if pool_id.strip()
                else None
            )
            if view is None:
                raise NotFound(POOL_NOT_FOUND)
            count = await repo.delete_pool(session, pool_id=view.id)
            summary = {"name": view.name, "unassignedServers": count}
            draft = ch.ChangeDraft(
                type=ch.POOL_DELETE, entity_type="pool", entity_id=view.id, summary=summary
            )
            await record(session, self._d, actor, draft)

    async def assign_pool(self, *, principal: Principal, server_id: str, pool_id: str) -> m.PlacementView:
        """Put a server in a pool of its org ("" takes it out of its pool)."""
        actor = writer(principal)
        async with self._d.sessions() as session, session.begin():
            current = await self._server(session, actor, server_id)
            target = None
            if pool_id.strip():
                found = await repo.pool(session, org_id=actor.org_id, pool_id=pool_id.strip())
                if found is None:
                    raise NotFound(POOL_NOT_FOUND)
                target = found.id
            if target == current.pool_id:
                return current
            view = await repo.set_fields(
                session, server_id=current.server_id, now=self._d.clock(), pool_id=target
            )
            summary = {"poolId": target, "previousPoolId": current.pool_id}
            await record(session, self._d, actor, _server_draft(ch.SERVER_POOL, view, **summary))
        return view
