"""SQL of the per-server canonical route snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.agents.db.models import ServerRoutes
from switchyard.agents.domain.routes.models import CanonicalRoute, RouteSet

T = cast(sa.Table, ServerRoutes.__table__)


async def store_if_newer(session: AsyncSession, snapshot: RouteSet, *, now: datetime) -> bool:
    """Keep ``snapshot`` unless a newer (or the same) version is stored; True when it was stored."""
    values = {
        "server_id": snapshot.server_id,
        "org_id": snapshot.org_id,
        "version": snapshot.version,
        "routes": [r.to_json() for r in snapshot.routes],
        "updated_at": now,
    }
    stmt = pg_insert(T).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[T.c.server_id],
        set_={k: stmt.excluded[k] for k in ("org_id", "version", "routes", "updated_at")},
        where=T.c.version < stmt.excluded.version,
    )
    return (await session.execute(stmt.returning(T.c.server_id))).first() is not None


async def get(session: AsyncSession, *, server_id: str) -> RouteSet | None:
    """The server's stored snapshot, or None."""
    row = (await session.execute(sa.select(*T.c).where(T.c.server_id == server_id))).first()
    if row is None:
        return None
    return RouteSet(
        server_id=row.server_id,
        org_id=row.org_id,
        version=row.version,
        routes=tuple(CanonicalRoute.from_json(r) for r in row.routes or []),
        updated_at=row.updated_at,
    )
