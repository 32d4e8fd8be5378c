"""The durable consumer of raw Sentry payloads: fetch a batch, parse, store in one transaction, ack.

A message that cannot be parsed is republished to ``ingest.dlq`` with the reason and acknowledged at once.
When a batch's transaction fails, each message is retried on its own, so one bad row cannot hold the others
back; a message that keeps failing to store is dead-lettered after ``MAX_DELIVERIES`` attempts. The consumer
never stops on a message.
"""

from __future__ import annotations

import asyncio
import contextlib

import nats.errors
import nats.js
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.bus import MSG_ID_HEADER, publish
from switchyard.ingest.domain.common import Clock
from switchyard.ingest.domain.errors.store import Parsed, store_batch
from switchyard.ingest.domain.sentry.envelope import Malformed
from switchyard.ingest.domain.sentry.messages import parse_message
from switchyard.ingest.events import DLQ_SUBJECT, SENTRY_SUBJECT, STREAM
from switchyard.obs import get_logger

log = get_logger(__name__)

FETCH_TIMEOUT = 1.0
MAX_DELIVERIES = 5
REASON_HEADER = "Ingest-Dlq-Reason"
SOURCE_HEADER = "Ingest-Dlq-Subject"
# Redelivery waits this long for an unacknowledged batch (a crashed replica's messages come back then).
ACK_WAIT_SECONDS = 60.0


def _msg_id(msg: Msg) -> str:
    headers = msg.headers or {}
    if headers.get(MSG_ID_HEADER):
        return headers[MSG_ID_HEADER]
    return f"seq:{msg.metadata.stream}:{msg.metadata.sequence.stream}"


def _deliveries(msg: Msg) -> int:
    with contextlib.suppress(Exception):
        return int(msg.metadata.num_delivered or 1)
    return 1


class SentryConsumer:
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
        self._js, self._sessions, self._clock = js, sessions, clock
        self._durable = durable.replace(".", "_")
        self._batch = batch_size
        self._deliver = DeliverPolicy.NEW if deliver_new else DeliverPolicy.ALL
        self._subscription: nats.js.JetStreamContext.PullSubscription | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start consuming (again, after ``stop``); the durable exists when this returns, unless NATS
        refused it, in which case the background task keeps trying."""
        if self._task is None or self._task.done():
            self._stop = asyncio.Event()
            try:
                self._subscription = await self._subscribe()
            except Exception:
                log.warning(
                    "subscribe failed, retrying in the background", consumer=self._durable, exc_info=True
                )
            self._task = asyncio.create_task(self._run(), name="ingest-sentry-consumer")

    async def stop(self) -> None:
        """Stop after the current batch; unacknowledged messages stay in the stream."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _subscribe(self) -> nats.js.JetStreamContext.PullSubscription:
        config = ConsumerConfig(
            durable_name=self._durable,
            ack_policy=AckPolicy.EXPLICIT,
            filter_subject=SENTRY_SUBJECT,
            ack_wait=ACK_WAIT_SECONDS,
            deliver_policy=self._deliver,
            max_ack_pending=max(1000, self._batch * 4),
        )
        return await self._js.pull_subscribe(
            SENTRY_SUBJECT, durable=self._durable, stream=STREAM, config=config
        )

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                subscription = self._subscription or await self._subscribe()
                self._subscription = None
            except Exception:
                log.warning("subscribe failed, retrying", consumer=self._durable, exc_info=True)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), FETCH_TIMEOUT)
                continue
            try:
                await self._loop(subscription)
            finally:
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()

    async def _loop(self, subscription: nats.js.JetStreamContext.PullSubscription) -> None:
        while not self._stop.is_set():
            try:
                messages = await subscription.fetch(self._batch, timeout=FETCH_TIMEOUT)
            except (nats.errors.TimeoutError, TimeoutError):
                continue
            except Exception:
                log.warning("fetch failed", consumer=self._durable, exc_info=True)
                await asyncio.sleep(FETCH_TIMEOUT)
                continue
            await self.process(messages)

    async def process(self, messages: list[Msg]) -> None:
        """Parse, store and acknowledge one batch (poison messages go to the dead-letter subject)."""
        now = self._clock()
        good: list[tuple[Msg, Parsed]] = []
        for msg in messages:
            try:
                good.append(
                    (
                        msg,
                        parse_message(msg_id=_msg_id(msg), headers=msg.headers or {}, body=msg.data, now=now),
                    )
                )
            except Malformed as exc:
                await self._dead_letter(msg, str(exc))
        if not good:
            return
        try:
            await self._store([p for _, p in good])
        except Exception:
            log.warning("batch store failed, retrying one by one", consumer=self._durable, exc_info=True)
            for msg, parsed in good:
                await self._store_one(msg, parsed)
            return
        for msg, _ in good:
            await msg.ack()

    async def _store(self, batch: list[Parsed]) -> None:
        async with self._sessions() as session, session.begin():
            await store_batch(session, batch, now=self._clock())

    async def _store_one(self, msg: Msg, parsed: Parsed) -> None:
        try:
            await self._store([parsed])
        except Exception as exc:
            if _deliveries(msg) >= MAX_DELIVERIES:
                await self._dead_letter(msg, f"storage failed {MAX_DELIVERIES} times: {type(exc).__name__}")
                return
            log.warning("store failed, will retry", consumer=self._durable, exc_info=True)
            await msg.nak(delay=min(0.5 * 2 ** _deliveries(msg), 30.0))
            return
        await msg.ack()

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        headers = {k: v for k, v in (msg.headers or {}).items() if k != MSG_ID_HEADER}
        headers[REASON_HEADER] = reason[:500]
        headers[SOURCE_HEADER] = msg.subject
        try:
            await publish(self._js, DLQ_SUBJECT, msg.data, msg_id=f"dlq:{_msg_id(msg)}", headers=headers)
        except Exception:
            # Not acknowledged: the message comes back and is dead-lettered on a later delivery.
            log.warning("dead-letter publish failed", consumer=self._durable, exc_info=True)
            return
        log.info("message dead-lettered", consumer=self._durable, reason=reason[:200])
        await msg.ack()
