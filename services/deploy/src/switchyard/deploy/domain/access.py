"""Who may do what: readers, writers and revealers of an org's deploy data."""

from __future__ import annotations

from dataclasses import dataclass

from switchyard.grpckit.errors import PermissionDenied
from switchyard.grpckit.principal import ADMIN_KEY, SERVICE, USER, Principal

ADMIN_ROLES = ("owner", "admin")


@dataclass(frozen=True, slots=True)
class Actor:
    """The org a caller acts in and how the feed and audit name them."""

    org_id: str
    name: str


def _actor_name(principal: Principal) -> str:
    if principal.kind == USER:
        return principal.user_id
    if principal.kind == ADMIN_KEY:
        return f"key:{principal.token_id}"
    return "service"


def reader_org(principal: Principal) -> str:
    """The org the caller may read: any member, an admin key or a service with a tenant."""
    if principal.kind not in (USER, ADMIN_KEY, SERVICE):
        raise PermissionDenied("not allowed to read deploy data")
    return principal.require_tenant()


def writer(principal: Principal) -> Actor:
    """The actor of a write: an org admin or owner, an admin key, or a service with a tenant."""
    if principal.kind == USER:
        org = principal.require_tenant()
        if principal.role not in ADMIN_ROLES:
            raise PermissionDenied("requires org admin or owner role")
        return Actor(org_id=org, name=principal.user_id)
    if principal.kind in (ADMIN_KEY, SERVICE):
        return Actor(org_id=principal.require_tenant(), name=_actor_name(principal))
    raise PermissionDenied("requires org admin or owner role")


def revealer(principal: Principal) -> Actor:
    """The actor of a reveal: a person (or their admin key) with the admin or owner role; never a service."""
    if principal.kind not in (USER, ADMIN_KEY):
        raise PermissionDenied("revealing an env var requires org admin or owner role")
    org = principal.require_tenant()
    if principal.role not in ADMIN_ROLES:
        raise PermissionDenied("revealing an env var requires org admin or owner role")
    return Actor(org_id=org, name=_actor_name(principal))
