"""The outbox relay: publishes committed outbox rows to JetStream, safely from N replicas.

Each pass claims pending rows with ``FOR UPDATE SKIP LOCKED``, so two relays never hold the same
row; a row is marked published in the same transaction that claimed it. If a relay dies after
publishing but before committing, the row is published again and JetStream drops the copy by its
``Nats-Msg-Id`` (within the stream's duplicate window).
"""

from __future__ import annotations

import asyncio
import contextlib

import nats.js
from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.bus.core import publish
from switchyard.obs import get_logger

log = get_logger(__name__)


class OutboxRelay:
    """Moves rows from a service's outbox table to JetStream.

    Args:
        session_factory: Sessions on the service's database.
        table: The service's ``switchyard.db.outbox.outbox_table(...)``.
        js: A JetStream context; the stream capturing the rows' subjects must exist.
        interval: Seconds to sleep when a pass found less than a full batch.
        batch: Rows claimed per pass.
    """

    def __init__(
        self,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        table: Table,
        js: nats.js.JetStreamContext,
        interval: float = 0.2,
        batch: int = 100,
    ) -> None:
        """Create a relay; call ``start()`` to run it in the background."""
        self._session_factory = session_factory
        self._table = table
        self._js = js
        self._interval = interval
        self._batch = batch
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def relay_once(self) -> int:
        """Publish one batch of pending rows, oldest first.

        Returns:
            How many rows this call published (rows claimed by another relay are not counted).

        Raises:
            Exception: The first publish error, after the rows published before it were marked.
                The failed row and the rest of the batch stay pending for the next pass.
        """
        table = self._table
        published: list[int] = []
        failure: Exception | None = None
        async with self._session_factory() as session, session.begin():
            rows = (
                await session.execute(
                    select(table.c.id, table.c.msg_id, table.c.subject, table.c.payload, table.c.headers)
                    .where(table.c.published_at.is_(None))
                    .order_by(table.c.id)
                    .limit(self._batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                try:
                    await publish(self._js, row.subject, row.payload, msg_id=row.msg_id, headers=row.headers)
                except Exception as exc:
                    # Usually NATS is unreachable and every other row would fail (slowly) too: stop
                    # here, but still commit what did get out so it is not sent again.
                    failure = exc
                    break
                published.append(row.id)
            if published:
                await session.execute(
                    update(table).where(table.c.id.in_(published)).values(published_at=func.now())
                )
        if failure is not None:
            raise failure
        return len(published)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                count = await self.relay_once()
            except Exception:
                log.exception("outbox relay pass failed", table=str(self._table))
                count = 0
            if count < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self._interval)

    def start(self) -> None:
        """Run the relay loop as a background task (idempotent)."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name=f"outbox-relay:{self._table}")

    async def stop(self) -> None:
        """Finish the current pass and stop the loop."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None


__all__ = ["OutboxRelay"]
