"""Litestar dependencies that authenticate the caller and resolve the tenant into a ``Principal``.

Controllers declare which one they need (``principal``), so a handler only ever sees a caller that is
already authenticated, scoped and allowed onto the route. Every provider takes ``gateway`` as a
dependency on purpose: Litestar resolves independent sibling dependencies in an anyio task group, which
cost a fifth of the gateway's CPU per request; chained, each batch has one member and is simply awaited.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from switchyard.gateway.auth.callers import Caller, TenantAccess
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.readcache import EPOCH_SCOPE_KEY
from switchyard.gateway.request_id import request_id_of
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import ANONYMOUS, ORG_KEY, Principal

AnyRequest = Request[Any, Any, Any]
ADMIN_ROLES = frozenset({"owner", "admin"})


def _principal(caller: Caller, request_id: str, access: TenantAccess | None = None) -> Principal:
    key = caller.key
    return Principal(
        kind=caller.kind,
        user_id=caller.user_id,
        tenant_id=access.tenant_id if access else "",
        role=access.role if access else "",
        scopes=key.scopes if key else (),
        token_id=caller.token_id,
        token_expires_at=caller.token_expires_at,
        is_root=access.is_root if access else False,
        request_id=request_id,
    )


async def _caller(request: AnyRequest, gateway: Gateway) -> Caller:
    caller = await gateway.authenticator.authenticate(
        request.headers.get("authorization"), request_id=request_id_of(request.scope)
    )
    # Cached reads are tagged with the epoch this request saw before any RPC (see readcache).
    request.scope[EPOCH_SCOPE_KEY] = caller.epoch  # type: ignore[literal-required]
    return caller


def _reject_org_key(caller: Caller) -> None:
    if caller.kind == ORG_KEY:
        raise GatewayError(403, "this API key cannot be used on this route")


def _admin_key_access(caller: Caller) -> TenantAccess | None:
    # Admin-authority lsk_ keys resolve the root tenant themselves, with admin rights.
    if caller.key is not None and caller.key.admin_authority and caller.key.tenant_id:
        return TenantAccess(tenant_id=caller.key.tenant_id, role="admin", is_root=True)
    return None


async def anonymous_principal(request: AnyRequest, gateway: NamedDependency[Gateway]) -> Principal:
    """The principal of a public route."""
    return Principal(kind=ANONYMOUS, request_id=request_id_of(request.scope))


async def user_principal(request: AnyRequest, gateway: NamedDependency[Gateway]) -> Principal:
    """A signed-in user (JWT or lsk_ key acting as its creator); no tenant needed."""
    caller = await _caller(request, gateway)
    _reject_org_key(caller)
    return _principal(caller, request_id_of(request.scope), _admin_key_access(caller))


async def tenant_principal(request: AnyRequest, gateway: NamedDependency[Gateway]) -> Principal:
    """A member of the tenant named by ``X-Tenant-ID`` (admin lsk_ keys: the root tenant)."""
    caller = await _caller(request, gateway)
    _reject_org_key(caller)
    request_id = request_id_of(request.scope)
    access = _admin_key_access(caller)
    if access is None:
        tenant_id = (request.headers.get("x-tenant-id") or "").strip()
        if not tenant_id:
            raise GatewayError(400, "X-Tenant-ID header is required")
        access = await gateway.authenticator.tenant_access(caller, tenant_id, request_id=request_id)
    return _principal(caller, request_id, access)


async def admin_principal(request: AnyRequest, gateway: NamedDependency[Gateway]) -> Principal:
    """An admin or owner of the root tenant (the ``/api/admin`` tier)."""
    caller = await _caller(request, gateway)
    _reject_org_key(caller)
    request_id = request_id_of(request.scope)
    access = _admin_key_access(caller)
    if access is None:
        try:
            access = await gateway.authenticator.tenant_access(caller, "root", request_id=request_id)
        except GatewayError as exc:
            # Not a member of the root tenant: the admin console exists, the caller may not use it.
            if exc.status != 404:
                raise
            raise GatewayError(403, "admin access required") from exc
    if not access.is_root or access.role not in ADMIN_ROLES:
        raise GatewayError(403, "admin access required")
    return _principal(caller, request_id, access)


async def org_principal(
    request: AnyRequest, gateway: NamedDependency[Gateway], orgId: FromPath[str]
) -> Principal:
    """A caller acting inside the org of the path: a member (JWT, lsk_) or that org's rsk_live_ key."""
    caller = await _caller(request, gateway)
    request_id = request_id_of(request.scope)
    if caller.kind == ORG_KEY:
        if caller.key is None or caller.key.tenant_id != orgId:
            raise GatewayError(404, "tenant not found")
        access = TenantAccess(tenant_id=orgId, role="", is_root=False)
    else:
        access = await gateway.authenticator.tenant_access(caller, orgId, request_id=request_id)
    return _principal(caller, request_id, access)


PUBLIC = {"principal": Provide(anonymous_principal)}
USER = {"principal": Provide(user_principal)}
TENANT = {"principal": Provide(tenant_principal)}
ADMIN = {"principal": Provide(admin_principal)}
ORG = {"principal": Provide(org_principal)}
