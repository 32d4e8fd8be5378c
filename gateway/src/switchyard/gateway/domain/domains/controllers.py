"""``/api/apps/{appId}/domains`` (hostnames routed by the app's server's agent) and
``/api/servers/{serverId}/{dwaar/reconcile,routes/diff}``.

Deploy validates the hostname (400 naming ``hostname``), answers a taken one 409 (in any org) and
another tenant's app or domain 404; agents answers another tenant's server 404 and an offline agent 422.
"""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from switchyard.deploy.v1 import domains_pb2 as pb
from switchyard.gateway.auth.deps import TENANT
from switchyard.gateway.domain.deploy.projects import SECURITY, TAGS
from switchyard.gateway.domain.domains import schemas as s
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal


class DomainsController(Controller):
    """Domains of an app of the caller's org."""

    path = "/api/apps/{appId:str}/domains"
    tags = TAGS
    security = SECURITY
    dependencies = TENANT

    @get(
        "/",
        operation_id="listDomains",
        description="List domains assigned to an app, by hostname, each with its status (`pending` while the agent adds the route, `active`, `failed` with `lastError`, `removing`).",  # noqa: E501
    )
    async def list_domains(
        self, appId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.DomainList:
        """An app's domains."""
        response = await gateway.deploy.list_domains(principal, pb.ListDomainsRequest(app_id=appId))
        return s.DomainList(domains=[s.domain(d) for d in response.domains])

    @post(
        "/",
        status_code=201,
        operation_id="createDomain",
        description="Assign a hostname (a lowercase DNS name, `*.` wildcard allowed, at most 253 characters, unique across every tenant: 409 when taken) to the app. Issues COMMAND_TYPE_ROUTE_ADD (host -> 127.0.0.1:{app port}) to the app's server; the domain is `pending` until the agent answers, then `active` or `failed`. Requires org admin or owner.",  # noqa: E501
    )
    async def create(
        self,
        appId: FromPath[str],
        data: JSONBody[s.DomainCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.DomainEnvelope:
        """Assign a hostname."""
        request = pb.CreateDomainRequest(app_id=appId, hostname=data.hostname, tls=data.tls)
        response = await gateway.deploy.create_domain(principal, request)
        return s.DomainEnvelope(domain=s.domain(response.domain))

    @get(
        "/{domainId:str}",
        operation_id="getDomain",
        description="Get one domain of an app with its status and last error.",
    )
    async def get_domain(
        self,
        appId: FromPath[str],
        domainId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.DomainEnvelope:
        """One domain."""
        request = pb.GetDomainRequest(app_id=appId, domain_id=domainId)
        response = await gateway.deploy.get_domain(principal, request)
        return s.DomainEnvelope(domain=s.domain(response.domain))

    @delete(
        "/{domainId:str}",
        status_code=202,
        operation_id="deleteDomain",
        description="Remove a domain: issues COMMAND_TYPE_ROUTE_REMOVE to its server and answers the domain as `removing`; the domain disappears when the agent has removed the route. Requires org admin or owner.",  # noqa: E501
    )
    async def remove(
        self,
        appId: FromPath[str],
        domainId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.DomainDeleted:
        """Remove a domain."""
        request = pb.DeleteDomainRequest(app_id=appId, domain_id=domainId)
        response = await gateway.deploy.delete_domain(principal, request)
        return s.DomainDeleted(domain=s.domain(response.domain), deleted=response.deleted)


class ServerRoutesController(Controller):
    """Dwaar reconcile and the route diff of a server."""

    path = "/api/servers"
    tags = ["Servers"]
    dependencies = TENANT
    security = [{"bearer": []}]

    @post(
        "/{serverId:str}/dwaar/reconcile",
        status_code=200,
        operation_id="ReconcileDwaar",
        description="Issues a COMMAND_TYPE_DWAAR_RECONCILE to the agent on the target server. The agent fetches the canonical route set from the backend and upserts any route that is missing from Dwaar. Returns {queued:true, command_id} immediately; the agent processes the command asynchronously. The command also carries the canonical set, so an agent that can read it replaces its routes with exactly that set. 422 if the agent is offline.",  # noqa: E501
    )
    async def reconcile(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Reconciled:
        """DWAAR_RECONCILE."""
        r = await gateway.agents.reconcile_dwaar(principal, server_id=serverId)
        return s.Reconciled(queued=r.queued, command_id=r.command_id, routes=r.routes, version=r.version)

    @get(
        "/{serverId:str}/routes/diff",
        operation_id="GetRouteDiff",
        description="Issues COMMAND_TYPE_ROUTE_LIST to the agent, joins the result against the backend DB canonical set, and returns a per-route diff column: in_sync | missing_in_dwaar | unexpected_in_dwaar. 422 if the agent is offline.",  # noqa: E501
    )
    async def diff(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.RouteDiffs:
        """ROUTE_LIST joined with the canonical set."""
        return s.diffs(await gateway.agents.get_route_diff(principal, server_id=serverId))


ROUTES = [DomainsController, ServerRoutesController]
