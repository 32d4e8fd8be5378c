"""SQL of server placement and pools."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.db.models import Pool, Server
from switchyard.deploy.domain.placement.models import PlacementView, PoolView, ServerSeen

T = cast(sa.Table, Server.__table__)
POOLS = cast(sa.Table, Pool.__table__)
POOL_NAME_CONSTRAINT = "uq_pools_org_id"
_PLACEMENT = (T.c.id, T.c.org_id, T.c.labels, T.c.cordoned, T.c.draining, T.c.pool_id, T.c.revoked)
_PLACEMENT_TIMES = (T.c.registered_at, T.c.updated_at)


def to_view(row: Any) -> PlacementView:
    """A result row of ``servers`` as a placement."""
    return PlacementView(
        server_id=row.id,
        org_id=row.org_id,
        labels=dict(row.labels or {}),
        cordoned=row.cordoned,
        draining=row.draining,
        pool_id=row.pool_id,
        revoked=row.revoked,
        registered_at=row.registered_at,
        updated_at=row.updated_at,
    )


async def get(
    session: AsyncSession, *, org_id: str, server_id: str, lock: bool = False
) -> PlacementView | None:
    """A live (not deleted) server of the org, or None."""
    stmt = sa.select(*_PLACEMENT, *_PLACEMENT_TIMES).where(
        T.c.id == server_id, T.c.org_id == org_id, T.c.deleted.is_(False)
    )
    row = (await session.execute(stmt.with_for_update() if lock else stmt)).first()
    return to_view(row) if row else None


async def set_fields(session: AsyncSession, *, server_id: str, now: datetime, **values: Any) -> PlacementView:
    """Write deploy-owned fields of a server and return it."""
    row = (
        await session.execute(
            sa.update(T)
            .where(T.c.id == server_id)
            .values(updated_at=now, **values)
            .returning(*_PLACEMENT, *_PLACEMENT_TIMES)
        )
    ).one()
    return to_view(row)


async def upsert_seen(session: AsyncSession, seen: ServerSeen) -> PlacementView | None:
    """Apply an agents event; None when a newer event was applied already (or this one was)."""
    insert = pg_insert(T).values(
        id=seen.server_id,
        org_id=seen.org_id,
        labels={},
        cordoned=False,
        draining=False,
        pool_id=None,
        revoked=not seen.registered,
        deleted=seen.deleted,
        registered_at=seen.occurred_at,
        updated_at=seen.occurred_at,
        last_event_at=seen.occurred_at,
    )
    excluded = insert.excluded
    stmt = insert.on_conflict_do_update(
        index_elements=[T.c.id],
        set_={
            "org_id": excluded.org_id,
            # A server that moved org (not expected) keeps no pool of the old one.
            "pool_id": sa.case((T.c.org_id == excluded.org_id, T.c.pool_id), else_=None),
            "revoked": excluded.revoked,
            "deleted": excluded.deleted,
            "updated_at": excluded.updated_at,
            "last_event_at": excluded.last_event_at,
        },
        where=T.c.last_event_at < excluded.last_event_at,
    ).returning(*_PLACEMENT, *_PLACEMENT_TIMES)
    row = (await session.execute(stmt)).first()
    return to_view(row) if row else None


def _pool_view(row: Any) -> PoolView:
    return PoolView(
        id=row.id,
        org_id=row.org_id,
        name=row.name,
        description=row.description,
        selector=dict(row.selector or {}),
        created_at=row.created_at,
        server_count=int(getattr(row, "server_count", 0) or 0),
    )


async def insert_pool(session: AsyncSession, view: PoolView) -> None:
    """Store a new pool."""
    await session.execute(
        sa.insert(POOLS).values(
            id=view.id,
            org_id=view.org_id,
            name=view.name,
            description=view.description,
            selector=view.selector,
            created_at=view.created_at,
        )
    )


async def pools(session: AsyncSession, *, org_id: str) -> list[PoolView]:
    """The org's pools by name, with their live server counts."""
    count = (
        sa.select(sa.func.count())
        .where(T.c.pool_id == POOLS.c.id, T.c.deleted.is_(False))
        .scalar_subquery()
        .label("server_count")
    )
    rows = await session.execute(
        sa.select(*POOLS.c, count).where(POOLS.c.org_id == org_id).order_by(POOLS.c.name)
    )
    return [_pool_view(r) for r in rows]


async def pool(session: AsyncSession, *, org_id: str, pool_id: str) -> PoolView | None:
    """One pool of the org, or None."""
    row = (
        await session.execute(sa.select(*POOLS.c).where(POOLS.c.id == pool_id, POOLS.c.org_id == org_id))
    ).first()
    return _pool_view(row) if row else None


async def delete_pool(session: AsyncSession, *, pool_id: str) -> int:
    """Remove a pool; its servers are unassigned first. Returns how many were."""
    result = await session.execute(sa.update(T).where(T.c.pool_id == pool_id).values(pool_id=None))
    await session.execute(sa.delete(POOLS).where(POOLS.c.id == pool_id))
    return int(getattr(result, "rowcount", 0) or 0)
