"""Signed principals: how the gateway tells a service who is calling.

The gateway authenticates the caller (JWT, API key, ...), resolves the tenant and role, and sends a
short-lived token in the gRPC metadata key ``x-switchyard-principal``:
``base64url(json claims) + "." + base64url(HMAC-SHA256(key, claims part))``.
A service's interceptor verifies it and stores the ``Principal`` in ``current_principal``; a
service never trusts a bare tenant id from a request body. No grpc import here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from contextvars import ContextVar
from dataclasses import dataclass, field, fields

from switchyard.grpckit.errors import PermissionDenied, Unauthenticated

METADATA_KEY = "x-switchyard-principal"
REQUEST_ID_KEY = "x-request-id"

# Principal kinds.
USER = "user"  # a person with an access token
ADMIN_KEY = "admin_key"  # an lsk_ key
ORG_KEY = "org_key"  # an rsk_live_ key
WORKER = "worker"  # a daemon holding a worker runtime JWT
M2M = "m2m"  # an OAuth client-credentials (machine-to-machine) token
SERVICE = "service"  # a service or the gateway itself acting on its own behalf
ANONYMOUS = "anonymous"  # a public endpoint (register, login, ...)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as established by the gateway."""

    kind: str
    user_id: str = ""
    tenant_id: str = ""
    # "owner" | "admin" | "user" in tenant_id, or "" when no tenant was resolved.
    role: str = ""
    scopes: tuple[str, ...] = ()
    # The access token's jti, or the API key id.
    token_id: str = ""
    # Epoch seconds at which the access token itself expires (0 when not a token).
    token_expires_at: float = 0.0
    # True when tenant_id is the root tenant (the admin console's tenant).
    is_root: bool = False
    request_id: str = ""
    # The worker of a WORKER principal (the runtime JWT's ``sub``).
    worker_id: str = ""
    # Projects an org key or worker is limited to; ("*",) means every project of the org.
    project_ids: tuple[str, ...] = ()
    # Epoch seconds after which this signed principal must be refused.
    expires_at: float = field(default=0.0)

    def require_user(self) -> str:
        """Return the user id, or raise Unauthenticated when the caller is not a user."""
        if not self.user_id:
            raise Unauthenticated("authentication required")
        return self.user_id

    def require_tenant(self) -> str:
        """Return the tenant id, or raise when none was resolved for this call."""
        if not self.tenant_id:
            raise PermissionDenied("a tenant is required (X-Tenant-ID)")
        return self.tenant_id

    def has_scope(self, scope: str) -> bool:
        """True when the principal holds ``scope`` or the wildcard ``*``."""
        return "*" in self.scopes or scope in self.scopes


ANONYMOUS_PRINCIPAL = Principal(kind=ANONYMOUS)
_FIELDS = tuple(f.name for f in fields(Principal))

current_principal: ContextVar[Principal] = ContextVar("current_principal", default=ANONYMOUS_PRINCIPAL)


def get_principal() -> Principal:
    """The principal of the call being served (anonymous when none was sent)."""
    return current_principal.get()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PrincipalSigner:
    """Signs principals with a key shared by the gateway and the services."""

    # Recently signed principal objects: one request's calls (a heartbeat's two RPCs) reuse a token.
    _RECENT = 256

    def __init__(self, key: bytes, *, ttl_seconds: float = 60.0) -> None:
        if len(key) < 32:
            raise ValueError("the principal signing key must be at least 32 bytes")
        self._key = key
        self._ttl = ttl_seconds
        self._recent: dict[int, tuple[Principal, str, float]] = {}

    def sign(self, principal: Principal) -> str:
        """Return the metadata value for ``principal``, valid for the signer's TTL.

        Principals are frozen, so a token minted for this very object is returned again while more
        than half of its life is left: a request that makes several calls signs once.
        """
        now = time.time()
        recent = self._recent.get(id(principal))
        if recent is not None and recent[0] is principal and recent[2] - now > self._ttl / 2:
            return recent[1]
        expires_at = now + self._ttl
        claims = {name: getattr(principal, name) for name in _FIELDS}
        claims["expires_at"] = expires_at
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        mac = hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest()
        token = f"{body}.{_b64(mac)}"
        if len(self._recent) >= self._RECENT:
            # Dicts keep insertion order: forget the oldest. Holding the principal keeps its id unique.
            del self._recent[next(iter(self._recent))]
        self._recent[id(principal)] = (principal, token, expires_at)
        return token


class PrincipalVerifier:
    """Verifies principals signed by ``PrincipalSigner`` with the same key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def verify(self, token: str) -> Principal:
        """Return the principal, or raise Unauthenticated for a forged, malformed or expired one."""
        body, _, mac = token.partition(".")
        if not body or not mac:
            raise Unauthenticated("malformed principal")
        try:
            expected = hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest()
            given = _unb64(mac)
        except ValueError as exc:  # includes non-ASCII text and bad base64
            raise Unauthenticated("malformed principal") from exc
        if not hmac.compare_digest(expected, given):
            raise Unauthenticated("principal signature mismatch")
        # Only a correctly signed body is parsed; its shape is still checked, not trusted.
        try:
            claims = json.loads(_unb64(body))
            claims["scopes"] = tuple(claims.get("scopes") or ())
            claims["project_ids"] = tuple(claims.get("project_ids") or ())
            principal = Principal(**claims)
            expired = float(principal.expires_at) < time.time()
        except (ValueError, TypeError, AttributeError) as exc:
            raise Unauthenticated("malformed principal") from exc
        if expired:
            raise Unauthenticated("principal expired")
        return principal


__all__ = [
    "ADMIN_KEY",
    "ANONYMOUS",
    "ANONYMOUS_PRINCIPAL",
    "M2M",
    "METADATA_KEY",
    "ORG_KEY",
    "REQUEST_ID_KEY",
    "SERVICE",
    "USER",
    "WORKER",
    "Principal",
    "PrincipalSigner",
    "PrincipalVerifier",
    "current_principal",
    "get_principal",
]
