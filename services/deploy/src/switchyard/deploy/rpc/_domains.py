"""Domain RPCs."""

from __future__ import annotations

from switchyard.deploy.domain.domains.models import DomainView
from switchyard.deploy.rpc._context import Base, Context
from switchyard.deploy.rpc._mapping import ts
from switchyard.deploy.v1 import domains_pb2 as pb
from switchyard.grpckit.principal import get_principal


def domain(view: DomainView) -> pb.Domain:
    """The wire form of a domain."""
    return pb.Domain(
        id=view.id,
        org_id=view.org_id,
        app_id=view.app_id,
        hostname=view.hostname,
        tls=view.tls,
        status=view.status,
        last_error=view.last_error,
        server_id=view.server_id,
        command_id=view.command_id,
        created_at=ts(view.created_at),
        updated_at=ts(view.updated_at),
    )


class DomainRpc(Base):
    """CreateDomain, ListDomains, GetDomain, DeleteDomain."""

    async def CreateDomain(
        self, request: pb.CreateDomainRequest, context: Context
    ) -> pb.CreateDomainResponse:
        """Assign a hostname to an app (ROUTE_ADD)."""
        view = await self._s.domains.create(
            principal=get_principal(),
            app_id=request.app_id,
            hostname=request.hostname,
            tls=request.tls if request.HasField("tls") else True,
        )
        return pb.CreateDomainResponse(domain=domain(view))

    async def ListDomains(self, request: pb.ListDomainsRequest, context: Context) -> pb.ListDomainsResponse:
        """The app's domains."""
        views = await self._s.domains.list(principal=get_principal(), app_id=request.app_id)
        return pb.ListDomainsResponse(domains=[domain(v) for v in views])

    async def GetDomain(self, request: pb.GetDomainRequest, context: Context) -> pb.GetDomainResponse:
        """One domain."""
        view = await self._s.domains.get(
            principal=get_principal(), app_id=request.app_id, domain_id=request.domain_id
        )
        return pb.GetDomainResponse(domain=domain(view))

    async def DeleteDomain(
        self, request: pb.DeleteDomainRequest, context: Context
    ) -> pb.DeleteDomainResponse:
        """Remove a domain (ROUTE_REMOVE)."""
        view, deleted = await self._s.domains.delete(
            principal=get_principal(), app_id=request.app_id, domain_id=request.domain_id
        )
        return pb.DeleteDomainResponse(domain=domain(view), deleted=deleted)
