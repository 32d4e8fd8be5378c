"""Authenticating OAuth2 client-credentials (M2M) bearer tokens into an M2M ``Principal``.

M2M tokens are EdDSA JWTs signed by identity with the keys of its JWKS (``typ: "m2m"``, ``sub`` = the
client id, ``org_id``, ``scopes``), so they are verified locally like access tokens. They are stateless;
a revoked client's tokens are refused through a Redis mark (``gw:revoked:m2m:<clientId>``) that lives
until the last of them expires, read in the same round trip as the auth epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.di import NamedDependency, Provide
from switchyard.gateway.auth.callers import API_KEY_PREFIXES, bearer_token
from switchyard.gateway.auth.deps import AnyRequest
from switchyard.gateway.auth.epoch import read_snapshot
from switchyard.gateway.auth.tokens import InvalidToken
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.readcache import EPOCH_SCOPE_KEY
from switchyard.gateway.request_id import request_id_of
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import M2M as M2M_KIND
from switchyard.grpckit.principal import Principal

M2M_TOKEN_REQUIRED = "an OAuth2 client-credentials token is required"
INVALID_M2M_TOKEN = "invalid or expired token"


@dataclass(frozen=True, slots=True)
class M2mCaller:
    """An authenticated M2M client and the principal sent to services on its behalf."""

    client_id: str
    org_id: str
    scopes: tuple[str, ...]
    principal: Principal


def revoked_client_mark(client_id: str) -> str:
    """The revocation id of every token of a client (``gw:revoked:`` + this)."""
    return f"m2m:{client_id}"


async def m2m_caller(request: AnyRequest, gateway: NamedDependency[Gateway]) -> M2mCaller:
    """The M2M client of a ``Bearer`` client-credentials token; 401 for anything else."""
    credential = bearer_token(request.headers.get("authorization"))
    if credential.startswith(API_KEY_PREFIXES):
        raise GatewayError(401, M2M_TOKEN_REQUIRED)
    try:
        claims = await gateway.m2m_tokens.verify(credential)
    except InvalidToken as exc:
        raise GatewayError(401, INVALID_M2M_TOKEN) from exc
    snapshot = await read_snapshot(gateway.redis, revoked_client_mark(claims.client_id))
    if snapshot.revoked:
        raise GatewayError(401, INVALID_M2M_TOKEN)
    request.scope[EPOCH_SCOPE_KEY] = snapshot.epoch  # type: ignore[literal-required]
    principal = Principal(
        kind=M2M_KIND,
        tenant_id=claims.org_id,
        scopes=claims.scopes,
        token_id=claims.token_id,
        token_expires_at=claims.expires_at,
        project_ids=("*",),
        request_id=request_id_of(request.scope),
    )
    return M2mCaller(claims.client_id, claims.org_id, claims.scopes, principal)


async def m2m_principal(m2m: NamedDependency[M2mCaller]) -> Principal:
    """The M2M principal (tenant = the client's org, its scopes) for routes that accept M2M tokens."""
    return m2m.principal


M2M = {"m2m": Provide(m2m_caller)}
M2M_PRINCIPAL = {"m2m": Provide(m2m_caller), "principal": Provide(m2m_principal)}
