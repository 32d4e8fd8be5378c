"""SQL of Dwaar config revisions."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.agents.db.models import DwaarRevision
from switchyard.agents.domain.operator.models import APPLIED, DwaarPatch, Revision

T = cast(sa.Table, DwaarRevision.__table__)
_LATER = T.alias("later")
# The applied revision that rolled a row back (the newest one, should there be several).
_ROLLED_BACK_BY = (
    sa.select(_LATER.c.id)
    .where(_LATER.c.rollback_of == T.c.id, _LATER.c.status == APPLIED)
    .order_by(_LATER.c.created_at.desc())
    .limit(1)
    .scalar_subquery()
    .label("rolled_back_by")
)
_COLUMNS = (*T.c, _ROLLED_BACK_BY)


def _patch(value: dict[str, Any] | None) -> DwaarPatch | None:
    if not value:
        return None
    return DwaarPatch(
        block=str(value.get("block", "")),
        action=str(value.get("action", "")),
        value=str(value.get("value", "")),
    )


def to_view(row: Any) -> Revision:
    """A result row (every column plus ``rolled_back_by``) as a view."""
    return Revision(
        id=row.id,
        server_id=row.server_id,
        org_id=row.org_id,
        patch=_patch(row.patch) or DwaarPatch(block="", action=""),
        status=row.status,
        error=row.error,
        reply=dict(row.reply) if row.reply is not None else None,
        inverse=_patch(row.inverse),
        command_id=row.command_id,
        rollback_of=row.rollback_of or "",
        requested_by=row.requested_by,
        created_at=row.created_at,
        rolled_back_by=row.rolled_back_by or "",
    )


async def insert(session: AsyncSession, revision: Revision) -> None:
    """Record a revision."""
    await session.execute(
        sa.insert(T).values(
            id=revision.id,
            server_id=revision.server_id,
            org_id=revision.org_id,
            patch=revision.patch.payload(),
            status=revision.status,
            error=revision.error,
            reply=revision.reply if revision.reply is not None else sa.null(),
            inverse=revision.inverse.payload() if revision.inverse else sa.null(),
            command_id=revision.command_id,
            rollback_of=revision.rollback_of or None,
            requested_by=revision.requested_by,
            created_at=revision.created_at,
        )
    )


async def get(session: AsyncSession, *, revision_id: str, server_id: str, org_id: str) -> Revision | None:
    """One revision of the org's server."""
    row = (
        await session.execute(
            sa.select(*_COLUMNS).where(
                T.c.id == revision_id, T.c.server_id == server_id, T.c.org_id == org_id
            )
        )
    ).first()
    return to_view(row) if row else None


async def latest(session: AsyncSession, *, server_id: str, org_id: str, limit: int) -> list[Revision]:
    """The server's newest revisions first."""
    rows = await session.execute(
        sa.select(*_COLUMNS)
        .where(T.c.server_id == server_id, T.c.org_id == org_id)
        .order_by(T.c.created_at.desc(), T.c.id.desc())
        .limit(limit)
    )
    return [to_view(r) for r in rows]
