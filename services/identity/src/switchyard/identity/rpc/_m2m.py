"""M2M client and client_credentials token RPCs: pb <-> domain only."""

from __future__ import annotations

from switchyard.grpckit.principal import get_principal
from switchyard.identity.rpc import _mapping as m
from switchyard.identity.rpc._base import Context, ServicerBase
from switchyard.identity.v1 import identity_service_pb2 as svc


class M2mRpc(ServicerBase):
    """CreateM2mClient, ListM2mClients, RevokeM2mClient, IssueM2mToken."""

    async def CreateM2mClient(
        self, request: svc.CreateM2mClientRequest, context: Context
    ) -> svc.CreateM2mClientResponse:
        """Create a client; the secret is in this response only."""
        created = await self._s.m2m.create_client(
            principal=get_principal(), org_id=request.org_id, name=request.name, scopes=list(request.scopes)
        )
        return svc.CreateM2mClientResponse(
            client=m.m2m_client(created.client), client_secret=created.client_secret
        )

    async def ListM2mClients(
        self, request: svc.ListM2mClientsRequest, context: Context
    ) -> svc.ListM2mClientsResponse:
        """An org's active clients."""
        views = await self._s.m2m.list_clients(principal=get_principal(), org_id=request.org_id)
        return svc.ListM2mClientsResponse(clients=[m.m2m_client(v) for v in views])

    async def RevokeM2mClient(
        self, request: svc.RevokeM2mClientRequest, context: Context
    ) -> svc.RevokeM2mClientResponse:
        """Revoke a client."""
        until = await self._s.m2m.revoke_client(
            principal=get_principal(), org_id=request.org_id, client_id=request.client_id
        )
        return svc.RevokeM2mClientResponse(tokens_valid_until=m.ts(until))

    async def IssueM2mToken(
        self, request: svc.IssueM2mTokenRequest, context: Context
    ) -> svc.IssueM2mTokenResponse:
        """Exchange client credentials for a token."""
        token = await self._s.m2m.issue_token(
            principal=get_principal(),
            grant_type=request.grant_type,
            client_id=request.client_id,
            client_secret=request.client_secret,
        )
        return svc.IssueM2mTokenResponse(
            access_token=token.access_token,
            expires_at=m.ts(token.expires_at),
            expires_in_seconds=token.expires_in_seconds,
            client_id=token.client_id,
            org_id=token.org_id,
            scopes=list(token.scopes),
        )
