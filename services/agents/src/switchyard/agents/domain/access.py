"""Who may read a server's state and who may act on it (issue commands, restart, delete)."""

from __future__ import annotations

from dataclasses import dataclass

from switchyard.grpckit.errors import PermissionDenied
from switchyard.grpckit.principal import ADMIN_KEY, SERVICE, USER, Principal

ADMIN_ROLES = ("owner", "admin")


@dataclass(frozen=True, slots=True)
class Actor:
    """The org a caller acts in and how the commands it issues record who asked."""

    org_id: str
    requested_by: str


def _requested_by(principal: Principal) -> str:
    if principal.kind == USER:
        return principal.user_id
    if principal.kind == ADMIN_KEY:
        return f"key:{principal.token_id}"
    return "service"


def reader(principal: Principal) -> Actor:
    """Any member of the org (a user of any role, an lsk_ key) or a service acting for it."""
    if principal.kind not in (USER, ADMIN_KEY, SERVICE):
        raise PermissionDenied("not allowed to read servers")
    return Actor(org_id=principal.require_tenant(), requested_by=_requested_by(principal))


def actor(principal: Principal) -> Actor:
    """An org admin or owner, an lsk_ key, or a service acting for the org."""
    if principal.kind == USER:
        org = principal.require_tenant()
        if principal.role not in ADMIN_ROLES:
            raise PermissionDenied("requires org admin or owner role")
        return Actor(org_id=org, requested_by=principal.user_id)
    if principal.kind in (ADMIN_KEY, SERVICE):
        return Actor(org_id=principal.require_tenant(), requested_by=_requested_by(principal))
    raise PermissionDenied("requires org admin or owner role")
