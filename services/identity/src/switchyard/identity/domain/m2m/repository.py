"""Persistence of M2M clients."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.identity.db.models import M2mClient, Tenant

# last_used_at is bookkeeping, not an audit trail: one write a minute per client is enough.
TOUCH_EVERY = timedelta(minutes=1)


async def add_client(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    name: str,
    scopes: tuple[str, ...],
    secret_hash: str,
    created_by: str,
    now: datetime,
) -> M2mClient:
    """Insert a client."""
    row = M2mClient(
        id=uuid.uuid4(),
        org_id=org_id,
        name=name,
        secret_hash=secret_hash,
        scopes=list(scopes),
        created_by=created_by,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def active_clients(session: AsyncSession, *, org_id: uuid.UUID) -> list[M2mClient]:
    """The org's unrevoked clients, newest first."""
    rows = await session.scalars(
        select(M2mClient)
        .where(M2mClient.org_id == org_id, M2mClient.revoked_at.is_(None))
        .order_by(M2mClient.created_at.desc(), M2mClient.id)
    )
    return list(rows)


async def revoke_client(
    session: AsyncSession, *, org_id: uuid.UUID, client_uuid: uuid.UUID, now: datetime
) -> bool:
    """Revoke a client; False when unknown, another org's, or already revoked."""
    result = await session.execute(
        update(M2mClient)
        .where(M2mClient.id == client_uuid, M2mClient.org_id == org_id, M2mClient.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(M2mClient.id)
    )
    return result.first() is not None


async def live_client(session: AsyncSession, *, client_uuid: uuid.UUID) -> M2mClient | None:
    """The unrevoked client of an active org with this id."""
    result: M2mClient | None = await session.scalar(
        select(M2mClient)
        .join(Tenant, Tenant.id == M2mClient.org_id)
        .where(M2mClient.id == client_uuid, M2mClient.revoked_at.is_(None), Tenant.is_active)
    )
    return result


def needs_touch(last_used_at: datetime | None, now: datetime) -> bool:
    """True when ``last_used_at`` is older than a minute (or unset)."""
    return last_used_at is None or now - last_used_at >= TOUCH_EVERY


async def touch_client(session: AsyncSession, *, client_uuid: uuid.UUID, now: datetime) -> None:
    """Stamp ``last_used_at`` unless another replica did within the minute."""
    await session.execute(
        update(M2mClient)
        .where(
            M2mClient.id == client_uuid,
            or_(M2mClient.last_used_at.is_(None), M2mClient.last_used_at < now - TOUCH_EVERY),
        )
        .values(last_used_at=now)
    )
