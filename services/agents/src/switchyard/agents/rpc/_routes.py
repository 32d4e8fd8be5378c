"""Route RPCs of AgentsService: DWAAR_RECONCILE and the route diff."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from switchyard.agents.domain.routes.service import RouteService
from switchyard.agents.v1 import routes_pb2 as pb
from switchyard.grpckit.principal import get_principal

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class RoutesMixin:
    """ReconcileDwaar, GetRouteDiff."""

    _routes: RouteService

    async def ReconcileDwaar(
        self, request: pb.ReconcileDwaarRequest, context: Context
    ) -> pb.ReconcileDwaarResponse:
        """Queue DWAAR_RECONCILE with the canonical routes."""
        done = await self._routes.reconcile(principal=get_principal(), server_id=request.server_id)
        return pb.ReconcileDwaarResponse(
            queued=True, command_id=done.command_id, routes=done.routes, version=done.version
        )

    async def GetRouteDiff(
        self, request: pb.GetRouteDiffRequest, context: Context
    ) -> pb.GetRouteDiffResponse:
        """ROUTE_LIST joined with the canonical routes."""
        report = await self._routes.diff(principal=get_principal(), server_id=request.server_id)
        return pb.GetRouteDiffResponse(
            routes=[
                pb.RouteDiff(
                    domain=r.domain,
                    state=r.state,
                    app_id=r.app_id,
                    expected_upstream=r.expected_upstream,
                    actual_upstream=r.actual_upstream,
                    upstream_matches=r.upstream_matches,
                )
                for r in report.routes
            ],
            command_id=report.command_id,
            version=report.version,
        )
