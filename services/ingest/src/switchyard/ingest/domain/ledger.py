"""The processed-message ledger: a JetStream message is stored once, however often it is delivered."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.ingest.db.models import ProcessedMessage
from switchyard.ingest.domain.common import Clock


async def claim(session: AsyncSession, msg_ids: list[str], *, clock: Clock) -> set[str]:
    """Record ``msg_ids`` in the caller's transaction; returns those not recorded before."""
    if not msg_ids:
        return set()
    now = clock()
    result = await session.execute(
        insert(ProcessedMessage)
        .values([{"msg_id": m, "processed_at": now} for m in dict.fromkeys(msg_ids)])
        .on_conflict_do_nothing(index_elements=["msg_id"])
        .returning(ProcessedMessage.msg_id)
    )
    return set(result.scalars())
