"""Consumer of deploy's ``deploy.routes.changed``: keeps each server's canonical route snapshot.

It starts before the DEPLOY stream may exist (the deploy service creates it), so it retries until the
stream is there. A payload that does not parse is logged and acknowledged: redelivering it cannot help.
Snapshots are whole sets with a per-server version, so redelivery and reordering are harmless.
"""

from __future__ import annotations

import nats.js
from agent.v1 import agent_pb2
from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from switchyard.agents.domain.routes.models import CanonicalRoute, RouteSet
from switchyard.agents.domain.routes.service import RouteService
from switchyard.bus import BackgroundConsumer
from switchyard.deploy.v1 import domains_pb2
from switchyard.obs import get_logger

STREAM = "DEPLOY"
SUBJECT = "deploy.routes.changed"
DURABLE = "agents.routes"
RETRY_SECONDS = 1.0

log = get_logger(__name__)


def snapshot_of(msg: Msg) -> RouteSet | None:
    """The route set a ``ServerRoutesChanged`` carries; None when the payload does not parse."""
    try:
        event = domains_pb2.ServerRoutesChanged.FromString(msg.data)
    except DecodeError:
        log.warning("undecodable route snapshot", subject=msg.subject)
        return None
    routes = tuple(
        CanonicalRoute(
            domain=r.domain,
            app_id=r.app_id,
            domain_id=r.domain_id,
            upstream_host=r.upstream_host,
            upstream_port=r.upstream_port,
            tls=r.tls,
        )
        for r in event.routes
    )
    return RouteSet(server_id=event.server_id, org_id=event.org_id, version=event.version, routes=routes)


class RouteSnapshotsConsumer(BackgroundConsumer):
    """Runs the durable consumer (``agents.routes`` by default) until stopped."""

    def __init__(self, js: nats.js.JetStreamContext, routes: RouteService, *, durable: str = DURABLE) -> None:
        self._routes = routes
        super().__init__(
            js,
            stream=STREAM,
            durable=durable,
            subject=SUBJECT,
            handler=self._handle,
            name="agents-route-snapshots",
            retry_seconds=RETRY_SECONDS,
        )

    async def _handle(self, msg: Msg) -> None:
        snapshot = snapshot_of(msg)
        if snapshot is not None and snapshot.server_id:
            await self._routes.apply(snapshot)


class CanonicalRoutes:
    """The ``ServerRoutes`` source of ListServerRoutes: the stored snapshot in agent.v1 form."""

    def __init__(self, routes: RouteService) -> None:
        self._routes = routes

    async def for_server(self, server_id: str) -> list[agent_pb2.ServerRoute]:
        """Each canonical route: domain, app and upstream port (apps listen on loopback: no container)."""
        routes = await self._routes.for_agent(server_id=server_id)
        return [agent_pb2.ServerRoute(domain=r.domain, port=r.upstream_port, app_id=r.app_id) for r in routes]
