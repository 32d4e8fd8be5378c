"""``/api/org/{orgId}/keys``: rsk_live_ keys of one org (tenant)."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from switchyard.gateway.auth.deps import ORG
from switchyard.gateway.domain.org_keys import schemas as s
from switchyard.gateway.schema import StatusResponse
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal


class OrgKeysController(Controller):
    """Org keys; the org comes from the path and must be the caller's (else 404)."""

    path = "/api/org/{orgId:str}/keys"
    tags = ["Authentication"]
    dependencies = ORG
    security = [{"bearer": []}]

    @get(
        "/",
        operation_id="ListOrgKeys",
        description="Lists the org's active API keys (rsk_live_). Only the 12-character display prefix of each key is shown.",  # noqa: E501
    )
    async def list_keys(
        self, orgId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.OrgKeyList:
        """Active keys of the org."""
        response = await gateway.identity.list_org_keys(principal, org_id=orgId)
        return s.OrgKeyList(keys=[s.org_key_from_pb(k) for k in response.keys])

    @post(
        "/",
        status_code=201,
        operation_id="CreateOrgKey",
        description="Creates an org API key (rsk_live_) for all projects or a list of projects, with optional scopes and expiry. The full key is returned once; only its SHA-256 hash is stored.",  # noqa: E501
    )
    async def create_key(
        self,
        orgId: FromPath[str],
        data: JSONBody[s.OrgKeyCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.OrgKeyCreated:
        """Create a key."""
        response = await gateway.identity.create_org_key(principal, s.create_request(orgId, data))
        return s.created_from_pb(response)

    @delete(
        "/{keyId:str}",
        status_code=200,
        operation_id="RevokeOrgKey",
        description="Revokes an org API key. The key immediately stops working for authentication.",
    )
    async def revoke_key(
        self,
        orgId: FromPath[str],
        keyId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> StatusResponse:
        """Revoke a key."""
        await gateway.identity.revoke_org_key(principal, org_id=orgId, key_id=keyId)
        return StatusResponse(status="revoked")


ROUTES = [OrgKeysController]
