"""SQL of apps and environments."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.db.models import App, Environment
from switchyard.deploy.domain.apps.models import AppView, EnvironmentView

T = cast(sa.Table, App.__table__)
ENVS = cast(sa.Table, Environment.__table__)
SLUG_CONSTRAINT = "uq_apps_project_id"
ENV_NAME_CONSTRAINT = "uq_environments_app_id"
_MUTABLE = ("name", "slug", "server_id", "port", "health_check_path", "start_command", "updated_at")


def to_view(row: Any) -> AppView:
    """A result row (every column of ``apps``) as a view."""
    return AppView(**{c.name: getattr(row, c.name) for c in T.c})


def to_environment(row: Any) -> EnvironmentView:
    """A result row (every column of ``environments``) as a view."""
    return EnvironmentView(**{c.name: getattr(row, c.name) for c in ENVS.c})


async def insert(session: AsyncSession, view: AppView) -> None:
    """Store a new app."""
    await session.execute(sa.insert(T).values(**{c.name: getattr(view, c.name) for c in T.c}))


async def get(session: AsyncSession, *, org_id: str, app_id: str, lock: bool = False) -> AppView | None:
    """The org's app, or None; ``lock`` serialises writers of the app and its environments."""
    stmt = sa.select(*T.c).where(T.c.id == app_id, T.c.org_id == org_id)
    row = (await session.execute(stmt.with_for_update() if lock else stmt)).first()
    return to_view(row) if row else None


async def list_for_org(session: AsyncSession, *, org_id: str, project_id: str = "") -> list[AppView]:
    """The org's apps (of one project when given), oldest first."""
    stmt = sa.select(*T.c).where(T.c.org_id == org_id)
    if project_id:
        stmt = stmt.where(T.c.project_id == project_id)
    rows = await session.execute(stmt.order_by(T.c.created_at, T.c.id))
    return [to_view(r) for r in rows]


async def update(session: AsyncSession, view: AppView) -> None:
    """Write every mutable field of ``view``."""
    await session.execute(
        sa.update(T).where(T.c.id == view.id).values(**{name: getattr(view, name) for name in _MUTABLE})
    )


async def delete(session: AsyncSession, *, app_id: str) -> None:
    """Remove the app; its environments and env vars go with it (foreign key cascades)."""
    await session.execute(sa.delete(T).where(T.c.id == app_id))


async def insert_environment(session: AsyncSession, view: EnvironmentView) -> None:
    """Store a new environment."""
    await session.execute(sa.insert(ENVS).values(**{c.name: getattr(view, c.name) for c in ENVS.c}))


async def environments(session: AsyncSession, *, app_id: str) -> list[EnvironmentView]:
    """An app's environments by name."""
    rows = await session.execute(sa.select(*ENVS.c).where(ENVS.c.app_id == app_id).order_by(ENVS.c.name))
    return [to_environment(r) for r in rows]


async def environment(
    session: AsyncSession, *, org_id: str, app_id: str, name: str, lock: bool = False
) -> EnvironmentView | None:
    """One environment of the org's app, or None."""
    stmt = sa.select(*ENVS.c).where(ENVS.c.org_id == org_id, ENVS.c.app_id == app_id, ENVS.c.name == name)
    row = (await session.execute(stmt.with_for_update() if lock else stmt)).first()
    return to_environment(row) if row else None


async def delete_environment(session: AsyncSession, *, environment_id: str) -> None:
    """Remove the environment and (cascade) its env vars."""
    await session.execute(sa.delete(ENVS).where(ENVS.c.id == environment_id))
