"""DSN RPCs."""

from __future__ import annotations

from switchyard.grpckit.principal import get_principal
from switchyard.ingest.rpc import _mapping as m
from switchyard.ingest.rpc._context import Base, Context
from switchyard.ingest.v1 import ingest_service_pb2 as svc


class DsnRpc(Base):
    """CreateDsn, ListDsns, DeleteDsn, ResolveDsnKey."""

    async def CreateDsn(self, request: svc.CreateDsnRequest, context: Context) -> svc.CreateDsnResponse:
        """Mint a DSN."""
        view = await self._s.dsns.create(principal=get_principal(), name=request.name, app_id=request.app_id)
        return svc.CreateDsnResponse(dsn=m.dsn(view))

    async def ListDsns(self, request: svc.ListDsnsRequest, context: Context) -> svc.ListDsnsResponse:
        """The org's DSNs."""
        views = await self._s.dsns.list(principal=get_principal())
        return svc.ListDsnsResponse(dsns=[m.dsn(v) for v in views])

    async def DeleteDsn(self, request: svc.DeleteDsnRequest, context: Context) -> svc.DeleteDsnResponse:
        """Delete a DSN."""
        await self._s.dsns.delete(principal=get_principal(), dsn_id=request.dsn_id)
        return svc.DeleteDsnResponse(deleted=True)

    async def ResolveDsnKey(
        self, request: svc.ResolveDsnKeyRequest, context: Context
    ) -> svc.ResolveDsnKeyResponse:
        """The DSN of a public key."""
        view = await self._s.dsns.resolve(public_key=request.public_key)
        return svc.ResolveDsnKeyResponse(dsn=m.dsn(view))
