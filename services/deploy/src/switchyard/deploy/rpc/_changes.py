"""The change feed RPC."""

from __future__ import annotations

from switchyard.deploy.rpc import _mapping as m
from switchyard.deploy.rpc._context import Base, Context
from switchyard.deploy.v1 import deploy_service_pb2 as svc
from switchyard.grpckit.principal import get_principal


class ChangeRpc(Base):
    """ListChanges."""

    async def ListChanges(self, request: svc.ListChangesRequest, context: Context) -> svc.ListChangesResponse:
        """A page of the change feed."""
        page = await self._s.changes.list(
            principal=get_principal(),
            since=m.when(request.since, request.HasField("since")),
            limit=request.limit,
            types=list(request.types),
            app=request.app,
            cursor=request.cursor,
        )
        return svc.ListChangesResponse(
            changes=[m.change(c) for c in page.changes], next_cursor=page.next_cursor
        )
