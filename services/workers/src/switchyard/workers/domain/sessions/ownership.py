"""Loading a session on behalf of the worker that holds it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.grpckit.errors import NotFound, PermissionDenied
from switchyard.grpckit.principal import Principal
from switchyard.workers.db.models import Session
from switchyard.workers.domain.context import check_org, require_worker
from switchyard.workers.domain.sessions import repository as repo


async def owned(
    s: AsyncSession, *, principal: Principal, session_id: str, worker_id: str, lock: bool = False
) -> tuple[Session, str]:
    """The session and the calling worker's id; 404 unknown (or other org), 403 another worker's."""
    wid = require_worker(principal, worker_id)
    row = await repo.get(s, session_id, lock=lock) if session_id else None
    if row is None:
        raise NotFound("Session not found")
    check_org(principal, row.org_id)
    if row.worker_id != wid:
        raise PermissionDenied("Session is owned by another worker")
    return row, wid
