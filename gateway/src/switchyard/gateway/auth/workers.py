"""Authentication of the worker surface: runtime JWTs, registration tokens, and the daemon's admin callers.

Runtime JWTs are issued by the workers service and verified here, locally, against its JWKS (no RPC and
no Redis per request: heartbeats are the hottest route there is). A registration token is an org key
(``rsk_live_``) resolved through identity like any other API key. ``/api/daemon/*`` takes an org key, or
a user with ``X-Tenant-ID`` (admins of that org), and for the read-only session detail a runtime JWT.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from switchyard.gateway.auth.callers import Caller, bearer_token
from switchyard.gateway.auth.deps import anonymous_principal, tenant_principal
from switchyard.gateway.auth.runtime_tokens import (
    INVALID_RUNTIME_TOKEN,
    ORG_KEY_PREFIX,
    REGISTRATION_TOKEN_REQUIRED,
    RUNTIME_TOKEN_EXPIRED,
    RUNTIME_TOKEN_ISSUER,
    RUNTIME_TOKEN_REQUIRED,
)
from switchyard.gateway.auth.tokens import InvalidToken, TokenExpired
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.request_id import request_id_of
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import ORG_KEY, WORKER, Principal

AnyRequest = Request[Any, Any, Any]


def is_runtime_token(credential: str) -> bool:
    """True when an (unverified) JWT names the workers service as issuer; only picks the verifier."""
    parts = credential.split(".")
    if len(parts) != 3:
        return False
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("iss") == RUNTIME_TOKEN_ISSUER


async def worker_from_token(gateway: Gateway, credential: str, *, request_id: str) -> Principal:
    """The WORKER principal of a runtime JWT; 401 (saying so when it merely expired) otherwise."""
    if credential.startswith(("lsk_", ORG_KEY_PREFIX)):
        raise GatewayError(401, RUNTIME_TOKEN_REQUIRED)
    try:
        claims = await gateway.runtime_tokens.verify(credential)
    except TokenExpired as exc:
        raise GatewayError(401, RUNTIME_TOKEN_EXPIRED) from exc
    except InvalidToken as exc:
        raise GatewayError(401, INVALID_RUNTIME_TOKEN) from exc
    return Principal(
        kind=WORKER,
        worker_id=claims.worker_id,
        tenant_id=claims.org_id,
        scopes=claims.scopes,
        project_ids=claims.project_ids,
        token_id=claims.token_id,
        token_expires_at=claims.expires_at,
        request_id=request_id,
    )


def _org_key_principal(caller: Caller, request_id: str) -> Principal:
    key = caller.key
    if caller.kind != ORG_KEY or key is None:
        raise GatewayError(401, REGISTRATION_TOKEN_REQUIRED)
    return Principal(
        kind=ORG_KEY,
        tenant_id=key.tenant_id,
        scopes=key.scopes,
        project_ids=key.project_ids,
        token_id=key.key_id,
        request_id=request_id,
    )


async def org_key_from_token(gateway: Gateway, raw_key: str, *, request_id: str) -> Principal:
    """The ORG_KEY principal of a registration token (an rsk_live_ key); 401 for anything else."""
    if not raw_key.startswith(ORG_KEY_PREFIX):
        raise GatewayError(401, REGISTRATION_TOKEN_REQUIRED)
    caller = await gateway.authenticator.authenticate(f"Bearer {raw_key}", request_id=request_id)
    return _org_key_principal(caller, request_id)


def _require_self(principal: Principal, worker_id: str) -> Principal:
    if principal.kind == WORKER and principal.worker_id != worker_id:
        raise GatewayError(403, "the runtime token belongs to another worker")
    return principal


async def worker_principal(request: AnyRequest, gateway: NamedDependency[Gateway]) -> Principal:
    """A daemon holding a runtime JWT (registration tokens and API keys are refused)."""
    credential = bearer_token(request.headers.get("authorization"))
    return await worker_from_token(gateway, credential, request_id=request_id_of(request.scope))


async def worker_self_principal(
    request: AnyRequest, gateway: NamedDependency[Gateway], id: FromPath[str]
) -> Principal:
    """A runtime JWT whose ``sub`` is the worker ``{id}`` of the path (else 403)."""
    return _require_self(await worker_principal(request, gateway), id)


async def registration_principal(request: AnyRequest, gateway: NamedDependency[Gateway]) -> Principal:
    """A registration token as ``Authorization: Bearer rsk_live_...``."""
    credential = bearer_token(request.headers.get("authorization"))
    return await org_key_from_token(gateway, credential, request_id=request_id_of(request.scope))


async def refresh_principal(
    request: AnyRequest, gateway: NamedDependency[Gateway], id: FromPath[str]
) -> Principal:
    """The registration token (what the real daemon sends) or the worker's own runtime JWT."""
    credential = bearer_token(request.headers.get("authorization"))
    request_id = request_id_of(request.scope)
    if credential.startswith(ORG_KEY_PREFIX):
        return await org_key_from_token(gateway, credential, request_id=request_id)
    return _require_self(await worker_from_token(gateway, credential, request_id=request_id), id)


async def daemon_principal(request: AnyRequest, gateway: NamedDependency[Gateway]) -> Principal:
    """An org key (its org), or a user or lsk_ key acting in the org named by ``X-Tenant-ID``."""
    credential = bearer_token(request.headers.get("authorization"))
    if credential.startswith(ORG_KEY_PREFIX):
        return await org_key_from_token(gateway, credential, request_id=request_id_of(request.scope))
    return await tenant_principal(request, gateway)


async def fleet_principal(request: AnyRequest, gateway: NamedDependency[Gateway]) -> Principal:
    """A runtime JWT, or any ``daemon_principal`` caller; the service scopes what each may read."""
    credential = bearer_token(request.headers.get("authorization"))
    if is_runtime_token(credential):
        return await worker_from_token(gateway, credential, request_id=request_id_of(request.scope))
    return await daemon_principal(request, gateway)


async def feed_principal(request: AnyRequest, gateway: NamedDependency[Gateway]) -> Principal:
    """A ``fleet_principal`` caller, or, with no Authorization header at all, an anonymous one (a session's
    activity feed then requires the session's raw id together with one of its public hashes)."""
    if not request.headers.get("authorization"):
        return await anonymous_principal(request, gateway)
    return await fleet_principal(request, gateway)


WORKER_SELF = {"principal": Provide(worker_self_principal)}
WORKER_ANY = {"principal": Provide(worker_principal)}
REGISTRATION = {"principal": Provide(registration_principal)}
REFRESH = {"principal": Provide(refresh_principal)}
DAEMON = {"principal": Provide(daemon_principal)}
FLEET = {"principal": Provide(fleet_principal)}
FEED = {"principal": Provide(feed_principal)}
