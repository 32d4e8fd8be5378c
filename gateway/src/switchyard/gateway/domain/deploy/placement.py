"""Server placement (``/api/servers/{serverId}/...``) and pools (``/api/pools``).

The agents service owns servers; deploy keeps their placement: labels, cordon and drain flags, pool.
"""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from switchyard.deploy.v1 import deploy_service_pb2 as pb
from switchyard.gateway.auth.deps import TENANT
from switchyard.gateway.domain.deploy import schemas as s
from switchyard.gateway.domain.deploy.projects import SECURITY, TAGS
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal


class ServerPlacementController(Controller):
    """Placement of the caller's org's servers."""

    path = "/api/servers/{serverId:str}"
    tags = TAGS
    security = SECURITY
    dependencies = TENANT

    @get(
        "/placement",
        operation_id="getServerPlacement",
        description="Get a server's placement: labels, cordon and drain flags and pool. 404 for unknown, deleted or another tenant's servers.",  # noqa: E501
    )
    async def get_placement(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.PlacementEnvelope:
        """A server's placement."""
        response = await gateway.deploy.get_server_placement(
            principal, pb.GetServerPlacementRequest(server_id=serverId)
        )
        return s.PlacementEnvelope(placement=s.placement(response.placement))

    @put(
        "/labels",
        operation_id="setServerLabels",
        description="Replace mutable server labels used for fleet placement and CI runner opt-in (at most 64; keys of letters, digits, '.', '_', '/', '-'; values up to 256 characters). Requires org admin or owner.",  # noqa: E501
    )
    async def set_labels(
        self,
        serverId: FromPath[str],
        data: JSONBody[s.LabelsPut],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.PlacementEnvelope:
        """Replace labels."""
        request = pb.SetServerLabelsRequest(server_id=serverId, labels=data.labels)
        response = await gateway.deploy.set_server_labels(principal, request)
        return s.PlacementEnvelope(placement=s.placement(response.placement))

    @post(
        "/cordon",
        status_code=200,
        operation_id="cordonServer",
        description="Cordon a server — prevent new deployments from targeting it.",
    )
    async def cordon(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.PlacementEnvelope:
        """Cordon."""
        response = await gateway.deploy.cordon_server(principal, pb.CordonServerRequest(server_id=serverId))
        return s.PlacementEnvelope(placement=s.placement(response.placement))

    @post(
        "/uncordon",
        status_code=200,
        operation_id="uncordonServer",
        description="Uncordon a server — allow deployments to target it again. 409 while it is draining (undrain it).",  # noqa: E501
    )
    async def uncordon(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.PlacementEnvelope:
        """Uncordon."""
        response = await gateway.deploy.uncordon_server(
            principal, pb.UncordonServerRequest(server_id=serverId)
        )
        return s.PlacementEnvelope(placement=s.placement(response.placement))

    @post(
        "/drain",
        status_code=200,
        operation_id="drainServer",
        description="Drain a server — cordon it and mark it as draining.",
    )
    async def drain(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.PlacementEnvelope:
        """Drain."""
        response = await gateway.deploy.drain_server(principal, pb.DrainServerRequest(server_id=serverId))
        return s.PlacementEnvelope(placement=s.placement(response.placement))

    @post(
        "/undrain",
        status_code=200,
        operation_id="undrainServer",
        description="Undrain a server — clear draining state and allow deployments to target it again.",
    )
    async def undrain(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.PlacementEnvelope:
        """Undrain."""
        response = await gateway.deploy.undrain_server(principal, pb.UndrainServerRequest(server_id=serverId))
        return s.PlacementEnvelope(placement=s.placement(response.placement))

    @post(
        "/pool",
        status_code=200,
        operation_id="assignServerPool",
        description="Assign a server to a pool of the tenant (`poolId`; null or empty takes it out of its pool).",  # noqa: E501
    )
    async def assign_pool(
        self,
        serverId: FromPath[str],
        data: JSONBody[s.PoolAssign],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.PlacementEnvelope:
        """Put a server in a pool."""
        request = pb.AssignServerPoolRequest(server_id=serverId, pool_id=data.pool_id or "")
        response = await gateway.deploy.assign_server_pool(principal, request)
        return s.PlacementEnvelope(placement=s.placement(response.placement))


class PoolsController(Controller):
    """Server pools of the caller's org."""

    path = "/api/pools"
    tags = TAGS
    security = SECURITY
    dependencies = TENANT

    @post(
        "/",
        status_code=201,
        operation_id="createPool",
        description="Create a server pool with label selectors (`name` unique in the tenant, optional `description` and `selector` labels). Requires org admin or owner.",  # noqa: E501
    )
    async def create(
        self,
        data: JSONBody[s.PoolCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.PoolEnvelope:
        """Create a pool."""
        request = pb.CreatePoolRequest(name=data.name, description=data.description, selector=data.selector)
        response = await gateway.deploy.create_pool(principal, request)
        return s.PoolEnvelope(pool=s.pool(response.pool))

    @get("/", operation_id="listPools", description="List server pools for the current tenant.")
    async def list_pools(
        self, principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.PoolList:
        """The org's pools."""
        response = await gateway.deploy.list_pools(principal, pb.ListPoolsRequest())
        return s.PoolList(pools=[s.pool(p) for p in response.pools])

    @delete(
        "/{poolId:str}",
        status_code=200,
        operation_id="deletePool",
        description="Delete a server pool; its servers become unassigned. Requires org admin or owner.",
    )
    async def remove(
        self, poolId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.Deleted:
        """Delete a pool."""
        response = await gateway.deploy.delete_pool(principal, pb.DeletePoolRequest(pool_id=poolId))
        return s.Deleted(deleted=response.deleted)
