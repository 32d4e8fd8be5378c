"""Who may do what: readers and writers of an org's ingest data."""

from __future__ import annotations

from switchyard.grpckit.errors import PermissionDenied
from switchyard.grpckit.principal import ADMIN_KEY, SERVICE, USER, Principal

ADMIN_ROLES = ("owner", "admin")


def reader_org(principal: Principal) -> str:
    """The org the caller may read: any member, an admin key or a service with a tenant."""
    if principal.kind not in (USER, ADMIN_KEY, SERVICE):
        raise PermissionDenied("not allowed to read ingest data")
    return principal.require_tenant()


def writer_org(principal: Principal) -> str:
    """The org of a write: an org admin or owner, an admin key, or a service with a tenant."""
    if principal.kind == USER:
        org = principal.require_tenant()
        if principal.role not in ADMIN_ROLES:
            raise PermissionDenied("requires org admin or owner role")
        return org
    if principal.kind in (ADMIN_KEY, SERVICE):
        return principal.require_tenant()
    raise PermissionDenied("requires org admin or owner role")
