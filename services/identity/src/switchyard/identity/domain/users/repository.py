"""Persistence of users, their lockout counters and mailed single-use tokens."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.identity.db.models import EmailToken, User
from switchyard.identity.domain.common import hash_token

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)

VERIFY = "verify"
RESET = "reset"


async def get(session: AsyncSession, *, user_id: uuid.UUID) -> User | None:
    """The user with this id."""
    return await session.get(User, user_id)


async def get_by_email(session: AsyncSession, *, email: str) -> User | None:
    """The user with this (normalised) email."""
    result: User | None = await session.scalar(select(User).where(User.email == email))
    return result


async def add(
    session: AsyncSession,
    *,
    email: str,
    display_name: str,
    password_hash: str | None,
    email_verified: bool,
    now: datetime,
) -> User:
    """Insert a user; the caller handles the unique-email race."""
    user = User(
        id=uuid.uuid4(),
        email=email,
        display_name=display_name,
        password_hash=password_hash,
        email_verified=email_verified,
        is_active=True,
        failed_login_attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    return user


def _lock_expired(now: datetime) -> ColumnElement[bool]:
    return and_(User.locked_until.is_not(None), User.locked_until <= now)


async def record_failure(session: AsyncSession, *, user_id: uuid.UUID, now: datetime) -> datetime | None:
    """Count a failed login in one atomic UPDATE; returns ``locked_until`` when this failure locks.

    The WHERE clause skips rows that are locked right now, and PostgreSQL re-checks it after waiting
    for a concurrent update, so N parallel failures lock exactly once and never extend a lock.
    """
    expired = _lock_expired(now)
    # A failure after an expired lock starts a new count.
    attempts = case((expired, 1), else_=User.failed_login_attempts + 1)
    locked_until = case(
        (attempts >= MAX_FAILED_LOGINS, now + LOCKOUT),
        (expired, None),
        else_=User.locked_until,
    )
    row = (
        await session.execute(
            update(User)
            .where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= now))
            .values(failed_login_attempts=attempts, locked_until=locked_until)
            .returning(User.locked_until)
        )
    ).first()
    return row[0] if row else None


async def record_success(session: AsyncSession, *, user_id: uuid.UUID, now: datetime) -> User | None:
    """Reset the counter and stamp ``last_login_at``; None when the account got locked meanwhile."""
    result: User | None = await session.scalar(
        update(User)
        .where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_login_attempts=0, locked_until=None, last_login_at=now)
        .returning(User)
        .execution_options(populate_existing=True)
    )
    return result


async def set_password(
    session: AsyncSession, *, user_id: uuid.UUID, password_hash: str, now: datetime
) -> None:
    """Set a new password hash and clear any lockout."""
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(password_hash=password_hash, failed_login_attempts=0, locked_until=None, updated_at=now)
    )


async def mark_verified(session: AsyncSession, *, user_id: uuid.UUID, now: datetime) -> None:
    """Record that the user proved their mailbox."""
    await session.execute(update(User).where(User.id == user_id).values(email_verified=True, updated_at=now))


async def add_email_token(
    session: AsyncSession, *, user_id: uuid.UUID, purpose: str, raw: str, expires_at: datetime, now: datetime
) -> None:
    """Store the hash of a mailed token."""
    session.add(
        EmailToken(
            id=uuid.uuid4(),
            user_id=user_id,
            purpose=purpose,
            token_hash=hash_token(raw),
            expires_at=expires_at,
            created_at=now,
        )
    )
    await session.flush()


async def consume_email_token(
    session: AsyncSession, *, raw: str, purpose: str, now: datetime
) -> uuid.UUID | None:
    """Use a token once: the UPDATE only matches an unused, unexpired token of that purpose."""
    result: uuid.UUID | None = await session.scalar(
        update(EmailToken)
        .where(
            EmailToken.token_hash == hash_token(raw),
            EmailToken.purpose == purpose,
            EmailToken.used_at.is_(None),
            EmailToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(EmailToken.user_id)
    )
    return result
