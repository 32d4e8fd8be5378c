"""SQL of the credentials table; callers own the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.workers.db.models import Credential


async def insert_new(s: AsyncSession, row: Credential) -> bool:
    """Insert unless (org, project, env, name) exists; True when inserted."""
    values = {c.key: getattr(row, c.key) for c in Credential.__table__.columns}
    statement = insert(Credential).values(values).on_conflict_do_nothing().returning(Credential.id)
    return (await s.execute(statement)).scalar_one_or_none() is not None


async def by_key(
    s: AsyncSession, *, org_id: str, project_id: str, env_name: str, name: str
) -> Credential | None:
    """The credential with this unique key, locked for update."""
    statement = (
        select(Credential)
        .where(
            Credential.org_id == org_id,
            Credential.project_id == project_id,
            Credential.env_name == env_name,
            Credential.name == name,
        )
        .with_for_update()
    )
    return (await s.execute(statement)).scalar_one_or_none()


async def get(s: AsyncSession, credential_id: str) -> Credential | None:
    """One credential by id."""
    return await s.get(Credential, credential_id)


async def listed(
    s: AsyncSession, *, org_id: str, project_id: str | None, env_name: str
) -> Sequence[Credential]:
    """The org's credentials, optionally of one project and/or environment, by name."""
    statement = select(Credential).where(Credential.org_id == org_id)
    if project_id is not None:
        statement = statement.where(Credential.project_id == project_id)
    if env_name:
        statement = statement.where(Credential.env_name == env_name)
    order = (Credential.project_id, Credential.env_name, Credential.name)
    return (await s.execute(statement.order_by(*order))).scalars().all()


async def remove(s: AsyncSession, credential_id: str) -> None:
    """Delete one credential."""
    await s.execute(delete(Credential).where(Credential.id == credential_id))


async def for_snapshot(
    s: AsyncSession, *, org_id: str, project_id: str, env_name: str
) -> Sequence[Credential]:
    """Org-wide values first, then the project's, so a later one overrides an earlier one by name."""
    projects = ("", project_id) if project_id else ("",)
    statement = (
        select(Credential)
        .where(
            Credential.org_id == org_id,
            Credential.env_name == env_name,
            Credential.project_id.in_(projects),
        )
        .order_by(Credential.project_id != "", Credential.name)
    )
    return (await s.execute(statement)).scalars().all()


async def stamp_rotation(s: AsyncSession, *, org_id: str, kind: str, at: datetime) -> int:
    """Set ``rotated_at`` on every credential of the kind; how many there are."""
    statement = (
        update(Credential)
        .where(Credential.org_id == org_id, Credential.kind == kind)
        .values(rotated_at=at)
        .returning(Credential.id)
    )
    return len((await s.execute(statement)).all())
