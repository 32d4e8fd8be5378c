"""SQL of deployments. Every state change is one conditional UPDATE (from the states it may leave)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.db.models import Deployment, Environment
from switchyard.deploy.domain.deployments.models import DeploymentView

T = cast(sa.Table, Deployment.__table__)
ENVS = cast(sa.Table, Environment.__table__)


def to_view(row: Any) -> DeploymentView:
    """A result row (every column of ``deployments``) as a view."""
    values = {c.name: getattr(row, c.name) for c in T.c}
    values["spec"] = dict(values["spec"] or {})
    return DeploymentView(**values)


async def insert(session: AsyncSession, view: DeploymentView) -> None:
    """Store a new deployment."""
    await session.execute(sa.insert(T).values(**{c.name: getattr(view, c.name) for c in T.c}))


async def get(
    session: AsyncSession, *, deployment_id: str, org_id: str | None = None
) -> DeploymentView | None:
    """One deployment (of the org, when given)."""
    query = sa.select(*T.c).where(T.c.id == deployment_id)
    if org_id is not None:
        query = query.where(T.c.org_id == org_id)
    row = (await session.execute(query)).first()
    return to_view(row) if row else None


async def for_app(
    session: AsyncSession, *, org_id: str, app_id: str, environment: str, limit: int
) -> list[DeploymentView]:
    """An app's deployments, newest first."""
    query = sa.select(*T.c).where(T.c.org_id == org_id, T.c.app_id == app_id)
    if environment:
        query = query.where(T.c.environment == environment)
    rows = await session.execute(query.order_by(T.c.created_at.desc(), T.c.id.desc()).limit(limit))
    return [to_view(r) for r in rows]


async def move(
    session: AsyncSession,
    *,
    deployment_id: str,
    from_states: Sequence[str],
    now: datetime,
    **values: Any,
) -> DeploymentView | None:
    """Set ``values`` when the deployment is in one of ``from_states``; the row after, or None."""
    row = (
        await session.execute(
            sa.update(T)
            .where(T.c.id == deployment_id, T.c.status.in_(list(from_states)))
            .values(updated_at=now, **values)
            .returning(*T.c)
        )
    ).first()
    return to_view(row) if row else None


async def set_requires_approval(session: AsyncSession, *, environment_id: str, value: bool) -> None:
    """Turn an environment's approval requirement on or off."""
    await session.execute(sa.update(ENVS).where(ENVS.c.id == environment_id).values(requires_approval=value))
