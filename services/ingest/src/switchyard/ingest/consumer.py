"""The durable consumer of raw Sentry payloads: a ``BatchConsumer`` that parses envelopes and store bodies
and stores them grouped (see ``batch_consumer`` for batching, retries and the dead-letter subject)."""

from __future__ import annotations

import nats.js
from nats.aio.msg import Msg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.ingest.batch_consumer import BatchConsumer, msg_id_of
from switchyard.ingest.domain.common import Clock
from switchyard.ingest.domain.errors.store import Parsed, store_batch
from switchyard.ingest.domain.sentry.messages import parse_message
from switchyard.ingest.events import SENTRY_SUBJECT


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
        def parse(msg: Msg) -> Parsed:
            return parse_message(msg_id=msg_id_of(msg), headers=msg.headers or {}, body=msg.data, now=clock())

        async def store(session: AsyncSession, batch: list[tuple[str, Parsed]]) -> None:
            await store_batch(session, [parsed for _, parsed in batch], now=clock())

        super().__init__(
            js,
            sessions,
            subject=SENTRY_SUBJECT,
            durable=durable,
            batch_size=batch_size,
            parse=parse,
            store=store,
            deliver_new=deliver_new,
        )
