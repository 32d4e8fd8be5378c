"""``/api/admin/m2m-clients`` (org owners/admins manage clients) and ``/api/oauth/*`` (the token endpoint)."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from switchyard.gateway.auth.deps import PUBLIC, TENANT, AnyRequest
from switchyard.gateway.auth.epoch import revoke_token
from switchyard.gateway.domain.oauth import schemas as s
from switchyard.gateway.domain.oauth.deps import M2M, M2mCaller, revoked_client_mark
from switchyard.gateway.ratelimit import RATE_LIMIT_OPT, rate_limit_guard
from switchyard.gateway.request_id import request_id_of
from switchyard.gateway.schema import StatusResponse
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal

SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
# RFC 6749 §5.1: token responses must not be cached by the client or any proxy.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class M2mClientsController(Controller):
    """M2M clients of the org named by ``X-Tenant-ID``; identity re-checks the owner/admin role."""

    path = "/api/admin/m2m-clients"
    tags = ["OAuth"]
    dependencies = TENANT
    security = SECURITY

    @post(
        "/",
        status_code=201,
        operation_id="CreateM2mClient",
        description="Creates an OAuth2 client-credentials (machine-to-machine) client for the org in X-Tenant-ID (org owners and admins). Scopes are a subset of workers:read, workers:write, sessions:read, sessions:write, agents:read, agents:write and *. The client secret is returned once; only its SHA-256 hash is stored.",  # noqa: E501
    )
    async def create_client(
        self,
        data: JSONBody[s.M2mClientCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.M2mClientCreated:
        """Create a client."""
        response = await gateway.identity.create_m2m_client(
            principal, org_id=principal.tenant_id, name=data.name, scopes=data.scopes
        )
        return s.created_from_pb(response)

    @get(
        "/",
        operation_id="ListM2mClients",
        description="Lists the org's active M2M clients. Secrets are never returned.",
    )
    async def list_clients(
        self, principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.M2mClientList:
        """Active clients of the org."""
        response = await gateway.identity.list_m2m_clients(principal, org_id=principal.tenant_id)
        return s.M2mClientList(clients=[s.client_from_pb(c) for c in response.clients])

    @delete(
        "/{clientId:str}",
        status_code=200,
        operation_id="RevokeM2mClient",
        description="Revokes an M2M client: it can obtain no new token, and tokens it already holds are refused by the gateway from now on.",  # noqa: E501
    )
    async def revoke_client(
        self,
        clientId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> StatusResponse:
        """Revoke a client."""
        response = await gateway.identity.revoke_m2m_client(
            principal, org_id=principal.tenant_id, client_id=clientId
        )
        # Its tokens are stateless JWTs: a mark every replica checks refuses them until they expire.
        until = response.tokens_valid_until.seconds
        await revoke_token(gateway.redis, token_id=revoked_client_mark(clientId), expires_at=until)
        return StatusResponse(status="revoked")


class OAuthController(Controller):
    """The OAuth2 token endpoint (public, rate-limited per client IP) and the M2M probe."""

    path = "/api/oauth"
    tags = ["OAuth"]

    @post(
        "/token",
        status_code=200,
        operation_id="IssueOAuthToken",
        dependencies=PUBLIC,
        guards=[rate_limit_guard],
        opt={RATE_LIMIT_OPT: "oauth_token"},
        description='OAuth2 client-credentials grant (RFC 6749 §4.4). Body form-urlencoded or JSON: {grant_type: "client_credentials", client_id, client_secret}; the credentials may instead come as HTTP Basic auth. Returns {access_token, token_type: "Bearer", expires_in} with Cache-Control: no-store. Errors use the RFC 6749 codes: 400 invalid_request / unsupported_grant_type, 401 invalid_client.',  # noqa: E501
    )
    async def token(
        self, request: AnyRequest, principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> Response[s.TokenResponse]:
        """Exchange client credentials for a bearer token."""
        grant = s.token_request(
            content_type=request.headers.get("content-type", ""),
            body=await request.body(),
            authorization=request.headers.get("authorization", ""),
        )
        response = await gateway.identity.issue_m2m_token(
            request_id=request_id_of(request.scope),
            grant_type=grant.get("grant_type", ""),
            client_id=grant.get("client_id", ""),
            client_secret=grant.get("client_secret", ""),
        )
        body = s.TokenResponse(
            access_token=response.access_token, token_type="Bearer", expires_in=response.expires_in_seconds
        )
        return Response(body, headers=NO_STORE)

    @get(
        "/whoami",
        operation_id="OAuthWhoAmI",
        dependencies=M2M,
        security=SECURITY,
        description="Echoes the M2M client behind a client-credentials bearer token: {clientId, orgId, scopes}. A probe for integrations; other tokens get 401.",  # noqa: E501
    )
    async def whoami(self, m2m: NamedDependency[M2mCaller]) -> s.WhoAmI:
        """The calling M2M client."""
        return s.WhoAmI(client_id=m2m.client_id, org_id=m2m.org_id, scopes=list(m2m.scopes))


ROUTES = [M2mClientsController, OAuthController]
