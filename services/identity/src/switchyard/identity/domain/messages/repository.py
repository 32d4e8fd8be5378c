"""Persistence of inbox messages."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.identity.db.models import Message

LIST_LIMIT = 100


async def add(
    session: AsyncSession, *, user_id: uuid.UUID, type_: str, title: str, body: str, now: datetime
) -> None:
    """Put a message in a user's inbox."""
    session.add(
        Message(
            id=uuid.uuid4(),
            user_id=user_id,
            type=type_,
            title=title,
            body=body,
            is_read=False,
            created_at=now,
        )
    )
    await session.flush()


async def newest(session: AsyncSession, *, user_id: uuid.UUID) -> list[Message]:
    """The user's newest messages (at most ``LIST_LIMIT``)."""
    rows = await session.scalars(
        select(Message)
        .where(Message.user_id == user_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(LIST_LIMIT)
    )
    return list(rows)


async def unread_count(session: AsyncSession, *, user_id: uuid.UUID) -> int:
    """How many of the user's messages are unread."""
    count = await session.scalar(
        select(func.count())
        .select_from(Message)
        .where(Message.user_id == user_id, Message.is_read.is_(False))
    )
    return int(count or 0)


async def mark_read(session: AsyncSession, *, user_id: uuid.UUID, message_id: uuid.UUID) -> bool:
    """Mark one of the user's messages read; False when it is not theirs or does not exist."""
    result = await session.execute(
        update(Message)
        .where(Message.id == message_id, Message.user_id == user_id)
        .values(is_read=True)
        .returning(Message.id)
    )
    return result.first() is not None
