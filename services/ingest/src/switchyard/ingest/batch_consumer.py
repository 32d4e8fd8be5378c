"""A durable JetStream consumer that stores batches in one transaction each.

Fetch up to ``batch_size`` messages, parse each (one that can never be parsed is republished to
``ingest.dlq`` with the reason and acknowledged), store the rest in one transaction, then acknowledge them.
When the batch's transaction fails, each message is retried on its own so one bad row cannot hold the
others back; one that keeps failing is dead-lettered after ``MAX_DELIVERIES`` deliveries. Storing must be
idempotent (a crash between commit and ack redelivers), which every ``store`` here is.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import nats.errors
import nats.js
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.bus import MSG_ID_HEADER, publish
from switchyard.ingest.events import DLQ_REASON_HEADER, DLQ_SOURCE_HEADER, DLQ_SUBJECT, STREAM
from switchyard.obs import get_logger

log = get_logger(__name__)

T = TypeVar("T")
FETCH_TIMEOUT = 1.0
MAX_DELIVERIES = 5
ACK_WAIT_SECONDS = 60.0

# (message id, parsed payload) pairs stored in the caller's transaction.
Store = Callable[[AsyncSession, list[tuple[str, T]]], Awaitable[object]]


def msg_id_of(msg: Msg) -> str:
    """The publisher's ``Nats-Msg-Id``, else the stream sequence."""
    headers = msg.headers or {}
    if headers.get(MSG_ID_HEADER):
        return headers[MSG_ID_HEADER]
    return f"seq:{msg.metadata.stream}:{msg.metadata.sequence.stream}"


def _deliveries(msg: Msg) -> int:
    with contextlib.suppress(Exception):
        return int(msg.metadata.num_delivered or 1)
    return 1


class BatchConsumer(Generic[T]):
    """Runs one durable pull consumer as a background task.

    Args:
        js: A JetStream context.
        sessions: Session factory of the ingest schema.
        subject: The subject consumed.
        durable: Consumer name (dots become underscores); replicas sharing it share the work.
        batch_size: Messages per fetch and per transaction.
        parse: A message to its payload; ``ValueError`` dead-letters the message.
        store: Stores parsed payloads in the given transaction (idempotently).
        deliver_new: A durable created by this consumer starts at the end of the stream.
    """

    def __init__(
        self,
        js: nats.js.JetStreamContext,
        sessions: async_sessionmaker[AsyncSession],
        *,
        subject: str,
        durable: str,
        batch_size: int,
        parse: Callable[[Msg], T],
        store: Store[T],
        deliver_new: bool = False,
    ) -> None:
        self._js, self._sessions, self._subject = js, sessions, subject
        self._durable = durable.replace(".", "_")
        self._batch, self._parse, self._store_fn = batch_size, parse, store
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._deliver = DeliverPolicy.NEW if deliver_new else DeliverPolicy.ALL
        self._subscription: nats.js.JetStreamContext.PullSubscription | None = None

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
            self._task = asyncio.create_task(self._run(), name=f"ingest-{self._durable}")

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
            deliver_policy=self._deliver,
            filter_subject=self._subject,
            ack_wait=ACK_WAIT_SECONDS,
            max_ack_pending=max(1000, self._batch * 4),
        )
        return await self._js.pull_subscribe(
            self._subject, durable=self._durable, stream=STREAM, config=config
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
        good: list[tuple[Msg, T]] = []
        for msg in messages:
            try:
                good.append((msg, self._parse(msg)))
            except ValueError as exc:
                await self._dead_letter(msg, str(exc))
        if not good:
            return
        try:
            await self._store([(msg_id_of(m), p) for m, p in good])
        except Exception:
            log.warning("batch store failed, retrying one by one", consumer=self._durable, exc_info=True)
            for msg, parsed in good:
                await self._store_one(msg, parsed)
            return
        for msg, _ in good:
            await msg.ack()

    async def _store(self, batch: list[tuple[str, T]]) -> None:
        async with self._sessions() as session, session.begin():
            await self._store_fn(session, batch)

    async def _store_one(self, msg: Msg, parsed: T) -> None:
        try:
            await self._store([(msg_id_of(msg), parsed)])
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
        headers[DLQ_REASON_HEADER] = reason[:500]
        headers[DLQ_SOURCE_HEADER] = msg.subject
        try:
            await publish(self._js, DLQ_SUBJECT, msg.data, msg_id=f"dlq:{msg_id_of(msg)}", headers=headers)
        except Exception:
            # Not acknowledged: the message comes back and is dead-lettered on a later delivery.
            log.warning("dead-letter publish failed", consumer=self._durable, exc_info=True)
            return
        log.info("message dead-lettered", consumer=self._durable, reason=reason[:200])
        await msg.ack()
