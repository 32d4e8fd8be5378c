"""SQL of the change feed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.db.models import App, Change
from switchyard.deploy.domain.changes.models import ChangeDraft, ChangeQuery
from switchyard.deploy.domain.events import ChangeView

T = cast(sa.Table, Change.__table__)
APPS = cast(sa.Table, App.__table__)


def to_view(row: Any) -> ChangeView:
    """A result row (every column of ``changes``) as a view."""
    return ChangeView(
        id=row.id,
        org_id=row.org_id,
        type=row.type,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        app_id=row.app_id,
        actor=row.actor,
        summary=dict(row.summary or {}),
        created_at=row.created_at,
    )


async def append(
    session: AsyncSession, *, org_id: str, actor: str, drafts: Sequence[ChangeDraft], now: datetime
) -> list[ChangeView]:
    """Insert the drafts in one statement (in the caller's transaction) and return them as stored."""
    if not drafts:
        return []
    rows = await session.execute(
        sa.insert(T)
        .values(
            [
                {
                    "org_id": org_id,
                    "type": d.type,
                    "entity_type": d.entity_type,
                    "entity_id": d.entity_id,
                    "app_id": d.app_id,
                    "actor": actor,
                    "summary": d.summary,
                    "created_at": now,
                }
                for d in drafts
            ]
        )
        .returning(*T.c)
    )
    return sorted((to_view(r) for r in rows), key=lambda v: v.id)


def _type_filter(types: Sequence[str]) -> sa.ColumnElement[bool]:
    # "env" keeps every env.* type; "env.set" only itself.
    clauses = [sa.or_(T.c.type == t, T.c.type.startswith(f"{t}.", autoescape=True)) for t in types]
    return sa.or_(*clauses)


async def page(session: AsyncSession, query: ChangeQuery) -> list[ChangeView]:
    """Up to ``limit + 1`` changes newest first (the extra row tells whether another page exists)."""
    stmt = sa.select(*T.c).where(T.c.org_id == query.org_id, T.c.created_at >= query.since)
    if query.types:
        stmt = stmt.where(_type_filter(query.types))
    if query.app_ids:
        stmt = stmt.where(T.c.app_id.in_(query.app_ids))
    if query.before is not None:
        stmt = stmt.where(sa.tuple_(T.c.created_at, T.c.id) < sa.tuple_(*query.before))
    stmt = stmt.order_by(T.c.created_at.desc(), T.c.id.desc()).limit(query.limit + 1)
    return [to_view(r) for r in await session.execute(stmt)]


async def app_ids_named(session: AsyncSession, *, org_id: str, app: str) -> list[str]:
    """Ids of the org's apps whose id, slug or name is ``app``."""
    rows = await session.scalars(
        sa.select(APPS.c.id).where(
            APPS.c.org_id == org_id, sa.or_(APPS.c.id == app, APPS.c.slug == app, APPS.c.name == app)
        )
    )
    return list(rows)
