"""Authenticating the ``Authorization`` header into a ``Caller``, and resolving tenant access.

``Bearer lsk_...`` and ``Bearer rsk_live_...`` are API keys, resolved by identity (cached per epoch);
anything else is an access token, verified locally and checked against the revocation mark in Redis.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import grpc
from switchyard.gateway.auth.epoch import AuthSnapshot, EpochCache, read_snapshot
from switchyard.gateway.auth.tokens import InvalidToken, TokenVerifier
from switchyard.gateway.errors import GatewayError, from_rpc_error
from switchyard.grpckit.principal import ADMIN_KEY, ORG_KEY, USER
from switchyard.identity.v1 import identity_pb2

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from switchyard.gateway.clients.identity import IdentityClient

API_KEY_PREFIXES = ("lsk_", "rsk_live_")
AUTH_REQUIRED = "authentication required"
INVALID_TOKEN = "invalid or expired token"
ROLE_NAMES = {
    identity_pb2.ROLE_OWNER: "owner",
    identity_pb2.ROLE_ADMIN: "admin",
    identity_pb2.ROLE_USER: "user",
}


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """What identity said an API key may do."""

    key_id: str
    kind: str
    user_id: str
    tenant_id: str
    admin_authority: bool
    scopes: tuple[str, ...]
    # Projects an org key is limited to; ("*",) for org-wide keys (the Principal convention).
    project_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller before any tenant is resolved."""

    kind: str
    user_id: str
    token_id: str
    token_expires_at: float
    epoch: bytes
    key: ApiKeyInfo | None = None


@dataclass(frozen=True, slots=True)
class TenantAccess:
    """The caller's standing in one tenant."""

    tenant_id: str
    role: str
    is_root: bool


def bearer_token(authorization: str | None) -> str:
    """The credential of an ``Authorization: Bearer <x>`` header, or 401."""
    scheme, _, credential = (authorization or "").strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise GatewayError(401, AUTH_REQUIRED)
    return credential


class Authenticator:
    """Turns credentials into callers and callers into tenant access, with epoch-tagged caches.

    Args:
        redis: Holds ``gw:epoch`` and ``gw:revoked:<jti>``.
        identity: The identity client.
        verifier: Verifies access tokens locally.
        cache_seconds: Longest life of a cached key or role.
    """

    def __init__(
        self, *, redis: Redis, identity: IdentityClient, verifier: TokenVerifier, cache_seconds: float
    ) -> None:
        self._redis = redis
        self._identity = identity
        self._verifier = verifier
        self._keys: EpochCache[ApiKeyInfo] = EpochCache(max_age_seconds=cache_seconds)
        self._access: EpochCache[TenantAccess] = EpochCache(max_age_seconds=cache_seconds)

    async def authenticate(self, authorization: str | None, *, request_id: str) -> Caller:
        """Authenticate a request's ``Authorization`` header (401 when missing or invalid)."""
        credential = bearer_token(authorization)
        if credential.startswith(API_KEY_PREFIXES):
            return await self._authenticate_key(credential, request_id=request_id)
        try:
            claims = await self._verifier.verify(credential)
        except InvalidToken as exc:
            raise GatewayError(401, INVALID_TOKEN) from exc
        snapshot = await read_snapshot(self._redis, claims.token_id)
        if snapshot.revoked:
            raise GatewayError(401, INVALID_TOKEN)
        return Caller(USER, claims.user_id, claims.token_id, claims.expires_at, snapshot.epoch)

    async def _authenticate_key(self, raw_key: str, *, request_id: str) -> Caller:
        snapshot: AuthSnapshot = await read_snapshot(self._redis, None)
        digest = hashlib.sha256(raw_key.encode()).digest()
        info = self._keys.get(digest, snapshot.epoch)
        if info is None:
            try:
                response = await self._identity.authenticate_api_key(request_id=request_id, raw_key=raw_key)
            except grpc.aio.AioRpcError as exc:
                if exc.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.NOT_FOUND):
                    raise GatewayError(401, INVALID_TOKEN) from exc
                raise from_rpc_error(exc) from exc
            info = ApiKeyInfo(
                key_id=response.key_id,
                kind=response.kind,
                user_id=response.user_id,
                tenant_id=response.tenant_id,
                admin_authority=response.authority == identity_pb2.API_KEY_AUTHORITY_ADMIN,
                scopes=tuple(response.scopes),
                project_ids=("*",) if response.all_projects else tuple(response.project_ids),
            )
            self._keys.put(digest, snapshot.epoch, info)
        kind = ORG_KEY if info.kind == ORG_KEY else ADMIN_KEY
        return Caller(kind, info.user_id, info.key_id, 0.0, snapshot.epoch, info)

    async def tenant_access(self, caller: Caller, tenant_id: str, *, request_id: str) -> TenantAccess:
        """The caller's role in ``tenant_id`` (or the ``root`` alias); 404 when not a member."""
        cache_key = (caller.user_id, tenant_id)
        access = self._access.get(cache_key, caller.epoch)
        if access is not None:
            return access
        try:
            response = await self._identity.resolve_tenant_access(
                request_id=request_id, user_id=caller.user_id, tenant_id=tenant_id
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise GatewayError(404, "tenant not found") from exc
            raise from_rpc_error(exc) from exc
        if not response.tenant_active:
            raise GatewayError(403, "tenant is deactivated")
        access = TenantAccess(
            tenant_id=response.tenant_id or tenant_id,
            role=ROLE_NAMES.get(response.role, ""),
            is_root=response.is_root,
        )
        self._access.put(cache_key, caller.epoch, access)
        return access
