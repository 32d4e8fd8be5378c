"""SQL of projects."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.db.models import App, Project
from switchyard.deploy.domain.projects.models import ProjectView

T = cast(sa.Table, Project.__table__)
APPS = cast(sa.Table, App.__table__)
SLUG_CONSTRAINT = "uq_projects_org_id"


def to_view(row: Any) -> ProjectView:
    """A result row (every column of ``projects``) as a view."""
    return ProjectView(
        id=row.id,
        org_id=row.org_id,
        name=row.name,
        slug=row.slug,
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def insert(session: AsyncSession, view: ProjectView) -> None:
    """Store a new project."""
    await session.execute(sa.insert(T).values(**{c.name: getattr(view, c.name) for c in T.c}))


async def get(
    session: AsyncSession, *, org_id: str, project_id: str, lock: bool = False
) -> ProjectView | None:
    """The org's project, or None."""
    stmt = sa.select(*T.c).where(T.c.id == project_id, T.c.org_id == org_id)
    row = (await session.execute(stmt.with_for_update() if lock else stmt)).first()
    return to_view(row) if row else None


async def list_for_org(session: AsyncSession, *, org_id: str) -> list[ProjectView]:
    """The org's projects, oldest first."""
    rows = await session.execute(sa.select(*T.c).where(T.c.org_id == org_id).order_by(T.c.created_at, T.c.id))
    return [to_view(r) for r in rows]


async def update(session: AsyncSession, view: ProjectView) -> None:
    """Write every mutable field of ``view``."""
    await session.execute(
        sa.update(T)
        .where(T.c.id == view.id)
        .values(name=view.name, slug=view.slug, description=view.description, updated_at=view.updated_at)
    )


async def has_apps(session: AsyncSession, *, project_id: str) -> bool:
    """True while any app belongs to the project."""
    found = await session.scalar(sa.select(sa.exists().where(APPS.c.project_id == project_id)))
    return bool(found)


async def delete(session: AsyncSession, *, project_id: str) -> None:
    """Remove the project."""
    await session.execute(sa.delete(T).where(T.c.id == project_id))
