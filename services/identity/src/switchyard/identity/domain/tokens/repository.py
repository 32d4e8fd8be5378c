"""Persistence of signing keys, refresh tokens and revoked access tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard import signing
from switchyard.identity.db.models import RefreshToken, RevokedAccessToken, SigningKey
from switchyard.identity.domain.tokens.issuer import IssuedToken


async def ensure_signing_key(session: AsyncSession, *, kek: bytes, now: datetime) -> bool:
    """Create a signing key unless an active one can be decrypted with ``kek``; True when created.

    Keys sealed under another KEK (a changed principal key) stay published for verification, and a
    new key takes over signing: existing tokens keep working and nothing needs manual repair.
    """
    return await signing.ensure_signing_key(session, model=SigningKey, kek=kek, now=now)


async def load_keys(session: AsyncSession, *, kek: bytes) -> list[signing.KeyPair]:
    """Every active key, newest first; the private half is None when ``kek`` cannot open it."""
    return await signing.load_keys(session, model=SigningKey, kek=kek)


async def add_refresh(
    session: AsyncSession, *, issued: IssuedToken, user_id: uuid.UUID, family_id: uuid.UUID, now: datetime
) -> None:
    """Record a freshly issued refresh token."""
    session.add(
        RefreshToken(
            jti=issued.jti, user_id=user_id, family_id=family_id, expires_at=issued.expires_at, created_at=now
        )
    )
    await session.flush()


async def lock_refresh(session: AsyncSession, *, jti: uuid.UUID) -> RefreshToken | None:
    """The refresh row, locked so two concurrent rotations cannot both succeed."""
    result: RefreshToken | None = await session.scalar(
        select(RefreshToken).where(RefreshToken.jti == jti).with_for_update()
    )
    return result


async def mark_replaced(session: AsyncSession, *, jti: uuid.UUID, by: uuid.UUID, now: datetime) -> None:
    """Rotate: the old token points at its successor and stops working."""
    await session.execute(
        update(RefreshToken).where(RefreshToken.jti == jti).values(replaced_by=by, revoked_at=now)
    )


async def revoke_family(session: AsyncSession, *, family_id: uuid.UUID, now: datetime) -> None:
    """Revoke every token of a rotation family (reuse was detected)."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_refresh(session: AsyncSession, *, jti: uuid.UUID, user_id: uuid.UUID, now: datetime) -> None:
    """Revoke one refresh token, only when it belongs to ``user_id``."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.jti == jti, RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_all_for_user(session: AsyncSession, *, user_id: uuid.UUID, now: datetime) -> None:
    """Revoke every live refresh token of a user (password reset)."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_access(
    session: AsyncSession, *, jti: str, user_id: str, expires_at: datetime, now: datetime
) -> bool:
    """Remember a revoked access token; False when it was already revoked."""
    result = await session.execute(
        insert(RevokedAccessToken)
        .values(jti=jti, user_id=user_id, expires_at=expires_at, revoked_at=now)
        .on_conflict_do_nothing(index_elements=["jti"])
        .returning(RevokedAccessToken.jti)
    )
    return result.first() is not None
