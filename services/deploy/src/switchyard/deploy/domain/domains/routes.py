"""The canonical route set of a server, published as a versioned snapshot in the caller's transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.domain.context import Deps
from switchyard.deploy.domain.domains import repository as repo
from switchyard.deploy.domain.domains.models import route_of
from switchyard.deploy.domain.events import ServerRoutesChanged


async def publish(session: AsyncSession, deps: Deps, *, server_id: str, org_id: str) -> int:
    """Queue ``deploy.routes.changed`` with the server's whole route set; returns its version.

    The version bump comes first: its row lock makes a concurrent snapshot of the same server wait for
    this transaction, and its next statement then sees what this one committed, so a higher version
    always carries the newer set. Only the org's domains are in it: an app may name a server id of
    another org (apps do not check it), and the agents service keeps a snapshot only from the org that
    owns the server.
    """
    version = await repo.next_version(session, server_id=server_id)
    routes = tuple(route_of(view) for view in await repo.routed(session, server_id=server_id, org_id=org_id))
    event = ServerRoutesChanged(
        server_id=server_id, org_id=org_id, version=version, routes=routes, occurred_at=deps.clock()
    )
    await deps.events.add(session, event)
    return version
