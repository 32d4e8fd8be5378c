"""SQL of deploy hooks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.db.models import DeployHook

T = cast(sa.Table, DeployHook.__table__)


@dataclass(frozen=True, slots=True)
class HookView:
    """A hook as stored (the token itself is never stored)."""

    id: str
    org_id: str
    app_id: str
    environment: str
    name: str
    token_hash: str
    token_hint: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None = None


def to_view(row: Any) -> HookView:
    """A result row (every column of ``deploy_hooks``) as a view."""
    return HookView(**{c.name: getattr(row, c.name) for c in T.c})


async def insert(session: AsyncSession, view: HookView) -> None:
    """Store a new hook."""
    await session.execute(sa.insert(T).values(**{c.name: getattr(view, c.name) for c in T.c}))


async def for_app(session: AsyncSession, *, org_id: str, app_id: str) -> list[HookView]:
    """An app's hooks, oldest first."""
    rows = await session.execute(
        sa.select(*T.c).where(T.c.org_id == org_id, T.c.app_id == app_id).order_by(T.c.created_at, T.c.id)
    )
    return [to_view(r) for r in rows]


async def delete(session: AsyncSession, *, org_id: str, app_id: str, hook_id: str) -> HookView | None:
    """Remove one hook of the org's app; the row removed, or None."""
    row = (
        await session.execute(
            sa.delete(T).where(T.c.id == hook_id, T.c.org_id == org_id, T.c.app_id == app_id).returning(*T.c)
        )
    ).first()
    return to_view(row) if row else None


async def claim(
    session: AsyncSession, *, token_hash: str, now: datetime, min_interval: float
) -> HookView | None:
    """Mark the hook used now, unless it was used less than ``min_interval`` seconds ago (one winner)."""
    fresh = now - timedelta(seconds=min_interval)
    row = (
        await session.execute(
            sa.update(T)
            .where(
                T.c.token_hash == token_hash, sa.or_(T.c.last_used_at.is_(None), T.c.last_used_at <= fresh)
            )
            .values(last_used_at=now)
            .returning(*T.c)
        )
    ).first()
    return to_view(row) if row else None


async def by_hash(session: AsyncSession, *, token_hash: str) -> HookView | None:
    """The hook of a token hash, or None."""
    row = (await session.execute(sa.select(*T.c).where(T.c.token_hash == token_hash))).first()
    return to_view(row) if row else None
