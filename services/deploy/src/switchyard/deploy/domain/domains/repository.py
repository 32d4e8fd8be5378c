"""SQL of domains and of the per-server route snapshot version."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.db.models import Domain, RouteVersion
from switchyard.deploy.domain.domains.models import ROUTED, DomainView

T = cast(sa.Table, Domain.__table__)
V = cast(sa.Table, RouteVersion.__table__)
HOSTNAME_INDEX = "uq_domains_hostname"


def to_view(row: Any) -> DomainView:
    """A result row (every column of ``domains``) as a view."""
    return DomainView(**{c.name: getattr(row, c.name) for c in T.c})


async def insert(session: AsyncSession, view: DomainView) -> None:
    """Store a new domain (IntegrityError on ``uq_domains_hostname`` when the host is taken)."""
    await session.execute(sa.insert(T).values(**{c.name: getattr(view, c.name) for c in T.c}))


async def get(
    session: AsyncSession, *, org_id: str, app_id: str, domain_id: str, lock: bool = False
) -> DomainView | None:
    """One domain of the org's app, or None."""
    stmt = sa.select(*T.c).where(T.c.id == domain_id, T.c.org_id == org_id, T.c.app_id == app_id)
    row = (await session.execute(stmt.with_for_update() if lock else stmt)).first()
    return to_view(row) if row else None


async def list_for_app(session: AsyncSession, *, org_id: str, app_id: str) -> list[DomainView]:
    """The app's domains by hostname."""
    stmt = sa.select(*T.c).where(T.c.org_id == org_id, T.c.app_id == app_id).order_by(T.c.hostname)
    return [to_view(r) for r in await session.execute(stmt)]


async def has_domains(session: AsyncSession, *, app_id: str) -> bool:
    """True while any domain (in any state) belongs to the app."""
    stmt = sa.select(sa.literal(1)).where(T.c.app_id == app_id).limit(1)
    return (await session.execute(stmt)).first() is not None


async def by_command(session: AsyncSession, *, command_id: str) -> DomainView | None:
    """The domain whose latest command is ``command_id`` (locked), or None."""
    stmt = sa.select(*T.c).where(T.c.command_id == command_id).with_for_update()
    row = (await session.execute(stmt)).first()
    return to_view(row) if row else None


async def awaiting_command(session: AsyncSession, *, server_id: str, since: datetime) -> bool:
    """True while a domain of the server has a command issued but its id not yet stored."""
    stmt = sa.select(sa.literal(1)).where(
        T.c.server_id == server_id, T.c.command_id == "", T.c.updated_at >= since
    )
    return (await session.execute(stmt.limit(1))).first() is not None


async def set_state(
    session: AsyncSession,
    *,
    domain_id: str,
    now: datetime,
    expect: tuple[str, ...],
    expect_command: str | None = None,
    **values: Any,
) -> DomainView | None:
    """Set ``values`` if the status is in ``expect`` (and the command is ``expect_command``, when given)."""
    stmt = sa.update(T).where(T.c.id == domain_id, T.c.status.in_(expect))
    if expect_command is not None:
        stmt = stmt.where(T.c.command_id == expect_command)
    row = (await session.execute(stmt.values(updated_at=now, **values).returning(*T.c))).first()
    return to_view(row) if row else None


async def delete(session: AsyncSession, *, domain_id: str) -> None:
    """Remove the row (its route is gone)."""
    await session.execute(sa.delete(T).where(T.c.id == domain_id))


async def next_version(session: AsyncSession, *, server_id: str) -> int:
    """Bump the server's snapshot version; the row lock serialises snapshots of one server until commit."""
    stmt = pg_insert(V).values(server_id=server_id, version=1)
    stmt = stmt.on_conflict_do_update(index_elements=[V.c.server_id], set_={"version": V.c.version + 1})
    return int((await session.execute(stmt.returning(V.c.version))).scalar_one())


async def routed(session: AsyncSession, *, server_id: str, org_id: str) -> list[DomainView]:
    """The org's domains on the server that belong in its canonical route set, by hostname."""
    stmt = sa.select(*T.c).where(T.c.server_id == server_id, T.c.org_id == org_id, T.c.status.in_(ROUTED))
    stmt = stmt.order_by(T.c.hostname)
    return [to_view(r) for r in await session.execute(stmt)]


def recent(now: datetime) -> datetime:
    """How far back a domain may still be waiting for its command id to be stored."""
    return now - timedelta(minutes=2)
