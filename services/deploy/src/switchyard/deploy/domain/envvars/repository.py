"""SQL of env vars and the reveal audit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.db.models import EnvReveal, EnvVar
from switchyard.deploy.domain.envvars.models import EnvVarView

T = cast(sa.Table, EnvVar.__table__)
REVEALS = cast(sa.Table, EnvReveal.__table__)


def to_view(row: Any) -> EnvVarView:
    """A result row as metadata (the sealed value is left behind)."""
    return EnvVarView(
        key=row.key,
        created_by=row.created_by,
        updated_by=row.updated_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def listing(session: AsyncSession, *, environment_id: str) -> list[EnvVarView]:
    """An environment's variables by key, without values."""
    rows = await session.execute(
        sa.select(T.c.key, T.c.created_by, T.c.updated_by, T.c.created_at, T.c.updated_at)
        .where(T.c.environment_id == environment_id)
        .order_by(T.c.key)
    )
    return [to_view(r) for r in rows]


async def sealed(session: AsyncSession, *, environment_id: str) -> list[Any]:
    """Every row of the environment, sealed values included (for comparing, cloning and revealing)."""
    rows = await session.execute(
        sa.select(*T.c).where(T.c.environment_id == environment_id).order_by(T.c.key)
    )
    return list(rows)


async def one(session: AsyncSession, *, environment_id: str, key: str) -> Any | None:
    """One row with its sealed value, or None."""
    rows = await session.execute(sa.select(*T.c).where(T.c.environment_id == environment_id, T.c.key == key))
    return rows.first()


async def insert_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert new variables (one statement)."""
    if rows:
        await session.execute(sa.insert(T).values(list(rows)))


async def reseal_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Replace sealed values: each dict has ``row_id``, ``value_enc``, ``updated_by``, ``updated_at``."""
    if rows:
        await session.execute(
            sa.update(T)
            .where(T.c.id == sa.bindparam("row_id"))
            .values(
                value_enc=sa.bindparam("value_enc"),
                updated_by=sa.bindparam("updated_by"),
                updated_at=sa.bindparam("updated_at"),
            )
            .execution_options(synchronize_session=False),
            list(rows),
        )


async def delete_keys(session: AsyncSession, *, environment_id: str, keys: Sequence[str]) -> list[str]:
    """Remove the named variables; returns the keys that existed."""
    if not keys:
        return []
    rows = await session.scalars(
        sa.delete(T).where(T.c.environment_id == environment_id, T.c.key.in_(list(keys))).returning(T.c.key)
    )
    return sorted(rows)


async def add_reveal(session: AsyncSession, values: dict[str, Any]) -> int:
    """Append an audit record of a reveal; returns its id."""
    return int(await session.scalar(sa.insert(REVEALS).values(**values).returning(REVEALS.c.id)) or 0)
