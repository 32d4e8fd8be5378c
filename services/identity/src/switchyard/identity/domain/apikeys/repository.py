"""Persistence of admin (``lsk_``) and org (``rsk_live_``) keys."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.identity.db.models import ApiKey, OrgKey
from switchyard.identity.domain.apikeys.models import OrgKeySpec

# last_used_at is bookkeeping, not an audit trail: one write a minute per key is enough.
TOUCH_EVERY = timedelta(minutes=1)


async def add_admin_key(
    session: AsyncSession,
    *,
    name: str,
    key_hash: str,
    preview: str,
    authority: str,
    created_by: uuid.UUID,
    now: datetime,
) -> ApiKey:
    """Insert an ``lsk_`` key."""
    row = ApiKey(
        id=uuid.uuid4(),
        name=name,
        key_hash=key_hash,
        key_preview=preview,
        authority=authority,
        created_by=created_by,
        created_at=now,
        is_active=True,
    )
    session.add(row)
    await session.flush()
    return row


async def active_admin_keys(session: AsyncSession) -> list[ApiKey]:
    """Every active ``lsk_`` key, newest first."""
    rows = await session.scalars(
        select(ApiKey).where(ApiKey.is_active).order_by(ApiKey.created_at.desc(), ApiKey.id)
    )
    return list(rows)


async def deactivate_admin_key(session: AsyncSession, *, key_id: uuid.UUID) -> bool:
    """Soft-delete an ``lsk_`` key; False when unknown or already deleted."""
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.is_active)
        .values(is_active=False)
        .returning(ApiKey.id)
    )
    return result.first() is not None


async def admin_key_by_hash(session: AsyncSession, *, key_hash: str) -> ApiKey | None:
    """The active ``lsk_`` key with this hash."""
    result: ApiKey | None = await session.scalar(
        select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.is_active)
    )
    return result


async def add_org_key(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    spec: OrgKeySpec,
    key_hash: str,
    prefix: str,
    created_by: str,
    now: datetime,
) -> OrgKey:
    """Insert an ``rsk_live_`` key."""
    row = OrgKey(
        id=uuid.uuid4(),
        org_id=org_id,
        name=spec.name,
        key_hash=key_hash,
        key_prefix=prefix,
        scopes=list(spec.scopes),
        all_projects=spec.all_projects,
        project_ids=list(spec.project_ids),
        created_by=created_by,
        created_at=now,
        expires_at=spec.expires_at,
    )
    session.add(row)
    await session.flush()
    return row


def _org_key_live(now: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return OrgKey.revoked_at.is_(None), or_(OrgKey.expires_at.is_(None), OrgKey.expires_at > now)


async def active_org_keys(session: AsyncSession, *, org_id: uuid.UUID, now: datetime) -> list[OrgKey]:
    """The org's unrevoked, unexpired keys, newest first."""
    rows = await session.scalars(
        select(OrgKey)
        .where(OrgKey.org_id == org_id, *_org_key_live(now))
        .order_by(OrgKey.created_at.desc(), OrgKey.id)
    )
    return list(rows)


async def revoke_org_key(
    session: AsyncSession, *, org_id: uuid.UUID, key_id: uuid.UUID, now: datetime
) -> bool:
    """Revoke an org key; False when unknown, another org's, or already revoked."""
    result = await session.execute(
        update(OrgKey)
        .where(OrgKey.id == key_id, OrgKey.org_id == org_id, OrgKey.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(OrgKey.id)
    )
    return result.first() is not None


async def org_key_by_hash(session: AsyncSession, *, key_hash: str, now: datetime) -> OrgKey | None:
    """The live org key with this hash."""
    result: OrgKey | None = await session.scalar(
        select(OrgKey).where(OrgKey.key_hash == key_hash, *_org_key_live(now))
    )
    return result


def needs_touch(last_used_at: datetime | None, now: datetime) -> bool:
    """True when ``last_used_at`` is older than a minute (or unset)."""
    return last_used_at is None or now - last_used_at >= TOUCH_EVERY


async def touch_admin_key(session: AsyncSession, *, key_id: uuid.UUID, now: datetime) -> None:
    """Stamp ``last_used_at`` unless another replica did within the minute."""
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id, or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - TOUCH_EVERY)
        )
        .values(last_used_at=now)
    )


async def touch_org_key(session: AsyncSession, *, key_id: uuid.UUID, now: datetime) -> None:
    """Stamp ``last_used_at`` unless another replica did within the minute."""
    await session.execute(
        update(OrgKey)
        .where(
            OrgKey.id == key_id, or_(OrgKey.last_used_at.is_(None), OrgKey.last_used_at < now - TOUCH_EVERY)
        )
        .values(last_used_at=now)
    )
