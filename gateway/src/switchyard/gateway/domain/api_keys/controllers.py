"""``/api/admin/api-keys``: lsk_ keys, for admins and owners of the root tenant."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from switchyard.gateway.auth.deps import ADMIN
from switchyard.gateway.domain.api_keys import schemas as s
from switchyard.gateway.schema import StatusResponse
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal


class ApiKeysController(Controller):
    """Admin API keys; a deleted key stops working on the very next request, on every replica."""

    path = "/api/admin/api-keys"
    tags = ["Admin - API keys"]
    dependencies = ADMIN
    security = [{"bearer": []}]

    @get(
        "/",
        operation_id="ListApiKeys",
        description="Returns all active API keys with metadata. The key hash is never returned — only the preview (last 8 characters) is shown.",  # noqa: E501
    )
    async def list_keys(
        self, principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.ApiKeyList:
        """Active keys."""
        response = await gateway.identity.list_api_keys(principal)
        return s.ApiKeyList(api_keys=[s.api_key_from_pb(k) for k in response.api_keys])

    @post(
        "/",
        status_code=201,
        operation_id="CreateApiKey",
        description="Creates a new API key and returns the raw key value. <strong>The raw key is only returned once</strong> — it is stored as a SHA-256 hash and cannot be retrieved later. Authority levels: <code>admin</code> keys auto-resolve the root tenant and get admin-level access; <code>user</code> keys require an <code>X-Tenant-ID</code> header.",  # noqa: E501
    )
    async def create_key(
        self,
        data: JSONBody[s.ApiKeyCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.ApiKeyCreated:
        """Create a key."""
        response = await gateway.identity.create_api_key(
            principal, name=data.name, authority=s.AUTHORITY_BY_NAME[data.authority]
        )
        return s.ApiKeyCreated(api_key=s.api_key_from_pb(response.api_key), raw_key=response.raw_key)

    @delete(
        "/{keyId:str}",
        status_code=200,
        operation_id="DeleteApiKey",
        description="Soft-deletes an API key. The key immediately stops working for authentication. This cannot be undone.",  # noqa: E501
    )
    async def delete_key(
        self, keyId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> StatusResponse:
        """Soft-delete a key."""
        await gateway.identity.delete_api_key(principal, key_id=keyId)
        return StatusResponse(status="deleted")


ROUTES = [ApiKeysController]
