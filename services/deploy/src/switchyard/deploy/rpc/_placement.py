"""Server placement and pool RPCs."""

from __future__ import annotations

from switchyard.deploy.rpc import _mapping as m
from switchyard.deploy.rpc._context import Base, Context
from switchyard.deploy.v1 import deploy_pb2 as pb
from switchyard.deploy.v1 import deploy_service_pb2 as svc
from switchyard.grpckit.principal import get_principal


class PlacementRpc(Base):
    """Placement reads and writes, and pools."""

    async def _state(self, server_id: str, action: str) -> pb.ServerPlacement:
        view = await self._s.placement.set_state(
            principal=get_principal(), server_id=server_id, action=action
        )
        return m.placement(view)

    async def GetServerPlacement(
        self, request: svc.GetServerPlacementRequest, context: Context
    ) -> svc.GetServerPlacementResponse:
        """A server's placement."""
        view = await self._s.placement.get(principal=get_principal(), server_id=request.server_id)
        return svc.GetServerPlacementResponse(placement=m.placement(view))

    async def SetServerLabels(
        self, request: svc.SetServerLabelsRequest, context: Context
    ) -> svc.SetServerLabelsResponse:
        """Replace labels."""
        view = await self._s.placement.set_labels(
            principal=get_principal(), server_id=request.server_id, labels=dict(request.labels)
        )
        return svc.SetServerLabelsResponse(placement=m.placement(view))

    async def CordonServer(
        self, request: svc.CordonServerRequest, context: Context
    ) -> svc.CordonServerResponse:
        """Cordon."""
        return svc.CordonServerResponse(placement=await self._state(request.server_id, "cordon"))

    async def UncordonServer(
        self, request: svc.UncordonServerRequest, context: Context
    ) -> svc.UncordonServerResponse:
        """Uncordon."""
        return svc.UncordonServerResponse(placement=await self._state(request.server_id, "uncordon"))

    async def DrainServer(self, request: svc.DrainServerRequest, context: Context) -> svc.DrainServerResponse:
        """Drain."""
        return svc.DrainServerResponse(placement=await self._state(request.server_id, "drain"))

    async def UndrainServer(
        self, request: svc.UndrainServerRequest, context: Context
    ) -> svc.UndrainServerResponse:
        """Undrain."""
        return svc.UndrainServerResponse(placement=await self._state(request.server_id, "undrain"))

    async def CreatePool(self, request: svc.CreatePoolRequest, context: Context) -> svc.CreatePoolResponse:
        """Create a pool."""
        view = await self._s.placement.create_pool(
            principal=get_principal(),
            name=request.name,
            description=request.description,
            selector=dict(request.selector),
        )
        return svc.CreatePoolResponse(pool=m.pool(view))

    async def ListPools(self, request: svc.ListPoolsRequest, context: Context) -> svc.ListPoolsResponse:
        """The org's pools."""
        views = await self._s.placement.list_pools(principal=get_principal())
        return svc.ListPoolsResponse(pools=[m.pool(v) for v in views])

    async def DeletePool(self, request: svc.DeletePoolRequest, context: Context) -> svc.DeletePoolResponse:
        """Delete a pool."""
        await self._s.placement.delete_pool(principal=get_principal(), pool_id=request.pool_id)
        return svc.DeletePoolResponse(deleted=True)

    async def AssignServerPool(
        self, request: svc.AssignServerPoolRequest, context: Context
    ) -> svc.AssignServerPoolResponse:
        """Put a server in a pool (or none)."""
        view = await self._s.placement.assign_pool(
            principal=get_principal(), server_id=request.server_id, pool_id=request.pool_id
        )
        return svc.AssignServerPoolResponse(placement=m.placement(view))
