"""API-key RPCs: pb <-> domain only."""

from __future__ import annotations

from switchyard.grpckit.principal import get_principal
from switchyard.identity.rpc import _mapping as m
from switchyard.identity.rpc._base import Context, ServicerBase
from switchyard.identity.v1 import identity_service_pb2 as svc


class KeyRpc(ServicerBase):
    """Admin keys, org keys and key authentication."""

    async def ListApiKeys(self, request: svc.ListApiKeysRequest, context: Context) -> svc.ListApiKeysResponse:
        """Active admin keys."""
        views = await self._s.api_keys.list_keys(principal=get_principal())
        return svc.ListApiKeysResponse(api_keys=[m.api_key(v) for v in views])

    async def CreateApiKey(
        self, request: svc.CreateApiKeyRequest, context: Context
    ) -> svc.CreateApiKeyResponse:
        """Create an lsk_ key."""
        created = await self._s.api_keys.create_key(
            principal=get_principal(), name=request.name, authority=m.authority_name(request.authority)
        )
        return svc.CreateApiKeyResponse(api_key=m.api_key(created.api_key), raw_key=created.raw_key)

    async def DeleteApiKey(
        self, request: svc.DeleteApiKeyRequest, context: Context
    ) -> svc.DeleteApiKeyResponse:
        """Soft-delete an lsk_ key."""
        await self._s.api_keys.delete_key(principal=get_principal(), key_id=request.key_id)
        return svc.DeleteApiKeyResponse()

    async def ListOrgKeys(self, request: svc.ListOrgKeysRequest, context: Context) -> svc.ListOrgKeysResponse:
        """An org's active keys."""
        views = await self._s.org_keys.list_keys(principal=get_principal(), org_id=request.org_id)
        return svc.ListOrgKeysResponse(keys=[m.org_key(v) for v in views])

    async def CreateOrgKey(
        self, request: svc.CreateOrgKeyRequest, context: Context
    ) -> svc.CreateOrgKeyResponse:
        """Create an rsk_live_ key."""
        created = await self._s.org_keys.create_key(
            principal=get_principal(),
            org_id=request.org_id,
            name=request.name,
            all_projects=request.all_projects,
            project_ids=list(request.project_ids),
            scopes=list(request.scopes),
            expires_at=m.from_ts(request, "expires_at"),
        )
        return svc.CreateOrgKeyResponse(key=m.org_key(created.key), full_key=created.full_key)

    async def RevokeOrgKey(
        self, request: svc.RevokeOrgKeyRequest, context: Context
    ) -> svc.RevokeOrgKeyResponse:
        """Revoke an rsk_live_ key."""
        await self._s.org_keys.revoke_key(
            principal=get_principal(), org_id=request.org_id, key_id=request.key_id
        )
        return svc.RevokeOrgKeyResponse()

    async def AuthenticateApiKey(
        self, request: svc.AuthenticateApiKeyRequest, context: Context
    ) -> svc.AuthenticateApiKeyResponse:
        """Resolve a raw key for the gateway."""
        key = await self._s.api_keys.authenticate(principal=get_principal(), raw_key=request.raw_key)
        return svc.AuthenticateApiKeyResponse(
            key_id=key.key_id,
            kind=key.kind,
            user_id=key.user_id,
            tenant_id=key.tenant_id,
            authority=m.AUTHORITY_TO_PB.get(key.authority, 0),  # type: ignore[arg-type]
            scopes=list(key.scopes),
            all_projects=key.all_projects,
            project_ids=list(key.project_ids),
        )
