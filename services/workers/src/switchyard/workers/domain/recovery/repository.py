"""Persistence of recovery packets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.workers.db.models import RecoveryPacket
from switchyard.workers.domain.recovery.models import PacketView

# A chain lists at most this many packets (newest first).
MAX_CHAIN = 100
_NEWEST = (RecoveryPacket.created_at.desc(), RecoveryPacket.id.desc())


def to_view(row: RecoveryPacket) -> PacketView:
    """The domain view of a row."""
    return PacketView(
        id=row.id,
        session_id=row.session_id,
        agent_id=row.agent_id,
        tier=row.tier,
        recovery_chain_id=row.recovery_chain_id,
        token_estimate=row.token_estimate,
        created_at=row.created_at,
        consumed_at=row.consumed_at,
        packet_data=dict(row.packet_data or {}),
    )


async def latest_chain_id(s: AsyncSession, session_id: str) -> str | None:
    """The chain of the session's newest packet, if it has any."""
    chain: str | None = await s.scalar(
        select(RecoveryPacket.recovery_chain_id)
        .where(RecoveryPacket.session_id == session_id)
        .order_by(*_NEWEST)
        .limit(1)
    )
    return chain


def _newest_unconsumed(session_id: str) -> Select[str]:
    return (
        select(RecoveryPacket.id)
        .where(RecoveryPacket.session_id == session_id, RecoveryPacket.consumed_at.is_(None))
        .order_by(*_NEWEST)
        .limit(1)
    )


async def newest_unconsumed(s: AsyncSession, session_id: str) -> RecoveryPacket | None:
    """The packet a resume would take, without taking it."""
    row: RecoveryPacket | None = await s.scalar(
        select(RecoveryPacket).where(RecoveryPacket.id == _newest_unconsumed(session_id).scalar_subquery())
    )
    return row


async def consume_newest(s: AsyncSession, session_id: str, *, now: datetime) -> RecoveryPacket | None:
    """Mark the newest unconsumed packet consumed and return it; None when there is none.

    One statement: of two concurrent resumes the second waits on the row lock, re-checks
    ``consumed_at IS NULL`` against the committed row and updates nothing, so exactly one gets it.
    """
    row: RecoveryPacket | None = await s.scalar(
        update(RecoveryPacket)
        .where(
            RecoveryPacket.id == _newest_unconsumed(session_id).scalar_subquery(),
            RecoveryPacket.consumed_at.is_(None),
        )
        .values(consumed_at=now)
        .returning(RecoveryPacket)
        .execution_options(synchronize_session=False)
    )
    return row


async def chain(s: AsyncSession, session_id: str) -> tuple[int, list[RecoveryPacket]]:
    """How many packets the session has, and the newest ``MAX_CHAIN`` of them."""
    total = await s.scalar(
        select(func.count()).select_from(RecoveryPacket).where(RecoveryPacket.session_id == session_id)
    )
    rows = await s.scalars(
        select(RecoveryPacket)
        .where(RecoveryPacket.session_id == session_id)
        .order_by(*_NEWEST)
        .limit(MAX_CHAIN)
    )
    return int(total or 0), list(rows)
