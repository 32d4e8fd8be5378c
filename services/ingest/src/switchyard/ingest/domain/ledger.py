"""The processed-message ledger: a JetStream message is stored once, however often it is delivered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.ingest.db.models import ProcessedMessage

_TABLE = cast("Table", ProcessedMessage.__table__)
# One statement, executed with the rows as parameters (insertmanyvalues), so it is compiled once per process.
_CLAIM = insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.msg_id)


async def claim(session: AsyncSession, msg_ids: Iterable[str], *, now: datetime) -> set[str]:
    """Record ``msg_ids`` in the caller's transaction; returns those not recorded before.

    Rows go in key order, so consumer replicas claiming overlapping batches never deadlock.
    """
    rows = [{"msg_id": m, "processed_at": now} for m in sorted(set(msg_ids))]
    if not rows:
        return set()
    result = await session.execute(_CLAIM, rows)
    return set(result.scalars())
