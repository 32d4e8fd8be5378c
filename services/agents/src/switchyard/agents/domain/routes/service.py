"""Canonical routes: kept from deploy's snapshots, answered to the agent (ListServerRoutes), joined with
the agent's ROUTE_LIST (the diff) and pushed back to it (DWAAR_RECONCILE).

Built on ``ServerService``: the same "online" rule (422 offline), the same bounded round trip and the same
404 for another org's server.
"""

from __future__ import annotations

from switchyard.agents.domain import access
from switchyard.agents.domain.common import COMPLETED
from switchyard.agents.domain.errors import AgentFailed, AgentTimeout
from switchyard.agents.domain.routes import repository as repo
from switchyard.agents.domain.routes.models import (
    DWAAR_RECONCILE,
    ROUTE_LIST,
    CanonicalRoute,
    DiffReport,
    Reconcile,
    RouteSet,
    diff,
    reconcile_payload,
    served_routes,
)
from switchyard.agents.domain.servers import repository as servers
from switchyard.agents.domain.servers.service import ServerService, _failure
from switchyard.grpckit.principal import Principal
from switchyard.obs import get_logger

log = get_logger(__name__)

ROUTE_LIST_TIMEOUT = 10.0


class RouteService(ServerService):
    """The canonical route set of each server and the operator actions on Dwaar's routes."""

    async def apply(self, snapshot: RouteSet) -> bool:
        """Keep deploy's snapshot when it is newer and names the server's own org; True when kept."""
        async with self._d.sessions() as session, session.begin():
            server = await servers.get(session, server_id=snapshot.server_id, org_id=snapshot.org_id)
            if server is None:
                # Unknown here, or another org's server named by an app: never route for a stranger.
                log.warning(
                    "route snapshot for a server outside its org ignored",
                    server_id=snapshot.server_id,
                    org_id=snapshot.org_id,
                    version=snapshot.version,
                )
                return False
            return await repo.store_if_newer(session, snapshot, now=self._d.clock())

    async def canonical(self, *, server_id: str) -> RouteSet:
        """The server's stored routes (an empty version 0 set when deploy never published one)."""
        async with self._d.reads() as session:
            found = await repo.get(session, server_id=server_id)
        return found or RouteSet(server_id=server_id, org_id="", version=0, routes=())

    async def for_agent(self, *, server_id: str) -> tuple[CanonicalRoute, ...]:
        """What ListServerRoutes answers the (authenticated) agent of ``server_id``."""
        return (await self.canonical(server_id=server_id)).routes

    async def reconcile(self, *, principal: Principal, server_id: str) -> Reconcile:
        """Queue DWAAR_RECONCILE with the canonical routes; 422 when the agent is offline."""
        access.actor(principal)
        server = await self._online(principal, server_id, reader_ok=False)
        routes = await self.canonical(server_id=server.id)
        view = await self._c.issue(
            principal=principal,
            server_id=server.id,
            type=DWAAR_RECONCILE,
            payload=reconcile_payload(routes.routes, routes.version),
        )
        return Reconcile(command_id=view.id, routes=len(routes.routes), version=routes.version)

    async def diff(self, *, principal: Principal, server_id: str) -> DiffReport:
        """ROUTE_LIST joined with the canonical routes; 422 offline, 502 on a failure, 504 on no answer."""
        server = await self._online(principal, server_id, reader_ok=True)
        view, _, _ = await self._probe(
            principal=principal, server_id=server.id, type=ROUTE_LIST, wait=ROUTE_LIST_TIMEOUT, reader_ok=True
        )
        if not view.final:
            raise AgentTimeout(f"agent did not answer ROUTE_LIST within {ROUTE_LIST_TIMEOUT:.0f} s")
        if view.status != COMPLETED:
            raise AgentFailed(_failure(view))
        served = served_routes(view.output)
        if served is None:
            raise AgentFailed("the agent's ROUTE_LIST answer is not a JSON array")
        routes = await self.canonical(server_id=server.id)
        return DiffReport(routes=diff(routes.routes, served), command_id=view.id, version=routes.version)
