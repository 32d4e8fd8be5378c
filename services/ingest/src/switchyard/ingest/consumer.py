"""The durable consumer of raw Sentry payloads (``ingest.raw.sentry``): parse, store, ack.

The loop (batching, one-by-one retry of a failed batch, dead-lettering of poison to ``ingest.dlq``) is
``batch_consumer.BatchConsumer``; this module names the subject and the parse and store functions.
"""

from __future__ import annotations

from datetime import datetime

import nats.js
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.ingest.batch_consumer import BatchConsumer
from switchyard.ingest.domain.common import Clock
from switchyard.ingest.domain.errors.store import Parsed, store_batch
from switchyard.ingest.domain.sentry.messages import parse_message
from switchyard.ingest.events import SENTRY_SUBJECT, STREAM


def _parse(msg_id: str, headers: dict[str, str], body: bytes, now: datetime) -> Parsed:
    return parse_message(msg_id=msg_id, headers=headers, body=body, now=now)


async def _store(session: AsyncSession, batch: list[Parsed], now: datetime) -> None:
    await store_batch(session, batch, now=now)


class SentryConsumer(BatchConsumer[Parsed]):
    """Runs the durable consumer (``ingest.sentry`` by default) as a background task.

    Args:
        js: A JetStream context.
        sessions: Session factory of the ingest schema.
        clock: Now, for ``received_at`` when the gateway did not stamp it.
        durable: Consumer name; replicas sharing it share the work.
        batch_size: Messages per fetch and per transaction.
        deliver_new: A durable created by this consumer starts at the end of the stream.
    """

    def __init__(
        self,
        js: nats.js.JetStreamContext,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Clock,
        durable: str,
        batch_size: int,
        deliver_new: bool = False,
    ) -> None:
        super().__init__(
            js,
            sessions,
            clock=clock,
            stream=STREAM,
            subject=SENTRY_SUBJECT,
            durable=durable,
            batch_size=batch_size,
            decode=_parse,
            store=_store,
            deliver_new=deliver_new,
        )
