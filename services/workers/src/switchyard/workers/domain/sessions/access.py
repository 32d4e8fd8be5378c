"""Loading a session for a caller of its org: members read, admins, owners and org keys write.

Routing calls also accept the WORKER holding the session, checked as every worker post is
(404 unknown or another org's session, 403 another worker's).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.grpckit.errors import NotFound, PermissionDenied
from switchyard.grpckit.principal import ADMIN_KEY, ORG_KEY, SERVICE, USER, WORKER, Principal
from switchyard.workers.db.models import Session
from switchyard.workers.domain.context import check_org
from switchyard.workers.domain.sessions import repository as repo
from switchyard.workers.domain.sessions.ownership import owned

WRITER_ROLES = ("owner", "admin")


def require_member(principal: Principal) -> str:
    """The org of any member (user or admin key), an org key, or a service acting for an org."""
    org = principal.tenant_id
    if not org or principal.kind not in (USER, ADMIN_KEY, ORG_KEY, SERVICE):
        raise PermissionDenied("an org member or org key is required")
    return org


def require_writer(principal: Principal) -> None:
    """Users must be an admin or owner of the org; org keys and services may write."""
    if principal.kind in (USER, ADMIN_KEY) and principal.role not in WRITER_ROLES:
        raise PermissionDenied("only an org admin or owner may do this")


async def org_session(
    s: AsyncSession, *, principal: Principal, session_id: str, write: bool, lock: bool = False
) -> Session:
    """A session of the caller's org (404 otherwise); ``write`` also needs admin/owner for users."""
    if principal.kind != SERVICE:
        require_member(principal)
    row = await repo.get(s, session_id, lock=lock) if session_id else None
    if row is None:
        raise NotFound("Session not found")
    check_org(principal, row.org_id)
    if write:
        require_writer(principal)
    return row


async def router_session(s: AsyncSession, *, principal: Principal, session_id: str) -> Session:
    """The session for a routing call: the WORKER holding it, or a writer of its org."""
    if principal.kind == WORKER:
        row, _ = await owned(s, principal=principal, session_id=session_id, worker_id="")
        return row
    return await org_session(s, principal=principal, session_id=session_id, write=True)
