"""Who may use the public sessions API, and finding a session by raw id or either public hash."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.grpckit.errors import NotFound, PermissionDenied, Unauthenticated
from switchyard.grpckit.principal import ADMIN_KEY, ANONYMOUS, ORG_KEY, SERVICE, USER, WORKER, Principal
from switchyard.workers.db.models import Session
from switchyard.workers.domain.common import ALL_PROJECTS, required
from switchyard.workers.domain.context import require_queue_writer

# "Public" is not anonymous: members (any role), org keys, or a service acting for an org.
_READERS = frozenset({USER, ADMIN_KEY, ORG_KEY, SERVICE})


@dataclass(frozen=True, slots=True)
class Scope:
    """The org a caller acts in and, for a project-scoped org key, the projects it may see."""

    org_id: str
    projects: tuple[str, ...] | None

    def where(self) -> list[Any]:
        """SQL conditions that keep a query inside this scope."""
        conditions: list[Any] = [Session.org_id == self.org_id]
        if self.projects is not None:
            conditions.append(Session.project_id.in_(self.projects))
        return conditions


def _projects(principal: Principal) -> tuple[str, ...] | None:
    # A project-scoped org key sees only its projects' sessions, as it may only queue work for them.
    if principal.kind != ORG_KEY or not principal.project_ids or ALL_PROJECTS in principal.project_ids:
        return None
    return principal.project_ids


def reader_scope(principal: Principal) -> Scope:
    """Any member of the org, an org key, or a service with a tenant."""
    if principal.kind not in _READERS or not principal.tenant_id:
        raise PermissionDenied("an org member or an org key is required")
    return Scope(org_id=principal.tenant_id, projects=_projects(principal))


def writer_scope(principal: Principal) -> Scope:
    """An org admin or owner, an org key, or a service acting for an org."""
    org = require_queue_writer(principal)
    return Scope(org_id=org, projects=_projects(principal))


async def find_session(s: AsyncSession, *, scope: Scope, ref: str, lock: bool = False) -> Session:
    """The scope's session named by raw id, spec hash or guide hash; NOT_FOUND otherwise (never leaked)."""
    key = required(ref, field="sessionId", max_len=255)
    query = (
        select(Session)
        .where(*scope.where(), or_(Session.id == key, Session.spec_hash == key, Session.guide_hash == key))
        # A raw id wins over a (vanishingly unlikely) hash collision.
        .order_by((Session.id == key).desc())
        .limit(1)
    )
    if lock:
        query = query.with_for_update()
    row: Session | None = await s.scalar(query)
    if row is None:
        raise NotFound("Session not found")
    return row


INVALID_SESSION_HASH = "invalid session hash"


def _hash_matches(row: Session, session_hash: str) -> bool:
    # Both comparisons always run, in constant time, so the answer's timing says nothing about the hash.
    spec = hmac.compare_digest(row.spec_hash.encode(), session_hash.encode())
    guide = hmac.compare_digest(row.guide_hash.encode(), session_hash.encode())
    return spec or guide


async def find_feed_session(s: AsyncSession, *, principal: Principal, ref: str, session_hash: str) -> Session:
    """The session whose activity feed the caller may read.

    Members and org keys name it by raw id or either hash; a WORKER of the org by raw id; an ANONYMOUS caller
    by raw id plus either public hash, as a share link carries them (a wrong pair is UNAUTHENTICATED, never
    NOT_FOUND, so the answer does not say whether the id exists).
    """
    if principal.kind == ANONYMOUS:
        if not session_hash:
            raise Unauthenticated("a bearer token, or sessionHash with the raw session id, is required")
        key = required(ref, field="sessionId", max_len=255)
        row: Session | None = await s.scalar(select(Session).where(Session.id == key))
        if row is None or not _hash_matches(row, session_hash):
            raise Unauthenticated(INVALID_SESSION_HASH)
        return row
    if principal.kind == WORKER and principal.tenant_id:
        key = required(ref, field="sessionId", max_len=255)
        row = await s.scalar(select(Session).where(Session.id == key, Session.org_id == principal.tenant_id))
        if row is None:
            raise NotFound("Session not found")
        return row
    return await find_session(s, scope=reader_scope(principal), ref=ref)
