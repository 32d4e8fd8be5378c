"""Durable batch consumers of ingest payloads: fetch a batch, decode, store in one transaction, ack.

Every ingest consumer (Sentry payloads, OTLP exports, agent log batches) is this loop with its own decode
and store functions. A message that can never be decoded is republished to ``ingest.dlq`` with the reason
and acknowledged at once. When a batch's transaction fails, each message is retried on its own, so one bad
row cannot hold the others back; one that keeps failing is dead-lettered after ``MAX_DELIVERIES`` attempts.
The consumer never stops on a message, and waits for a stream that does not exist yet (AGENTS is created
by agents).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Generic, TypeVar

import nats.errors
import nats.js
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.bus import MSG_ID_HEADER, publish
from switchyard.ingest.domain.common import Clock
from switchyard.ingest.events import DLQ_SUBJECT
from switchyard.obs import get_logger

log = get_logger(__name__)

T = TypeVar("T")
# decode(msg_id, headers, body, now) -> one parsed message; raises ValueError (e.g. Malformed) for poison.
Decode = Callable[[str, dict[str, str], bytes, datetime], T]
# store(session, parsed messages, now): writes them in the caller's transaction, idempotently.
Store = Callable[[AsyncSession, list[T], datetime], Awaitable[object]]
FETCH_TIMEOUT = 1.0
MAX_DELIVERIES = 5
ACK_WAIT_SECONDS = 60.0
REASON_HEADER = "Ingest-Dlq-Reason"
SOURCE_HEADER = "Ingest-Dlq-Subject"


def msg_id_of(msg: Msg) -> str:
    """The message's ``Nats-Msg-Id``, else its stream position (both stable across redeliveries)."""
    headers = msg.headers or {}
    if headers.get(MSG_ID_HEADER):
        return headers[MSG_ID_HEADER]
    return f"seq:{msg.metadata.stream}:{msg.metadata.sequence.stream}"


def _deliveries(msg: Msg) -> int:
    with contextlib.suppress(Exception):
        return int(msg.metadata.num_delivered or 1)
    return 1


class BatchConsumer(Generic[T]):
    """One durable pull consumer run as a background task (``start`` / ``stop``).

    Args:
        js: A JetStream context.
        sessions: Session factory of the ingest schema.
        clock: Now, for ``received_at``.
        stream: The stream read (INGEST, or AGENTS for agent logs).
        subject: Filter subject.
        durable: Consumer name; replicas sharing it share the work.
        batch_size: Messages per fetch and per transaction.
        decode: Message to its parsed form.
        store: Writes parsed messages.
        deliver_new: A durable created now starts at the stream's end instead of its start (throwaway
            test durables only: a real deployment must not skip what arrived before its first start).
    """

    def __init__(
        self,
        js: nats.js.JetStreamContext,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Clock,
        stream: str,
        subject: str,
        durable: str,
        batch_size: int,
        decode: Decode[T],
        store: Store[T],
        deliver_new: bool = False,
    ) -> None:
        self._js, self._sessions, self._clock = js, sessions, clock
        self._stream, self._subject = stream, subject
        self._durable = durable.replace(".", "_")
        self._batch = batch_size
        self._decode, self._write = decode, store
        self._deliver = DeliverPolicy.NEW if deliver_new else DeliverPolicy.ALL
        self._subscription: nats.js.JetStreamContext.PullSubscription | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start consuming (again, after ``stop``); the durable exists when this returns, unless NATS
        refused it (e.g. the stream does not exist yet), in which case the background task keeps trying."""
        if self._task is None or self._task.done():
            self._stop = asyncio.Event()
            try:
                self._subscription = await self._subscribe()
            except Exception:
                log.info(
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
            filter_subject=self._subject,
            ack_wait=ACK_WAIT_SECONDS,
            deliver_policy=self._deliver,
            max_ack_pending=max(1000, self._batch * 4),
        )
        return await self._js.pull_subscribe(
            self._subject, durable=self._durable, stream=self._stream, config=config
        )

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                subscription = self._subscription or await self._subscribe()
                self._subscription = None
            except Exception:
                log.info(
                    "stream unavailable, retrying", consumer=self._durable, stream=self._stream, exc_info=True
                )
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
                return
            await self.process(messages)

    async def process(self, messages: list[Msg]) -> None:
        """Decode, store and acknowledge one batch (poison messages go to the dead-letter subject)."""
        now = self._clock()
        good: list[tuple[Msg, T]] = []
        for msg in messages:
            try:
                good.append((msg, self._decode(msg_id_of(msg), dict(msg.headers or {}), msg.data, now)))
            except ValueError as exc:  # Malformed, and every parser's ValueError, is poison
                await self._dead_letter(msg, str(exc))
        if not good:
            return
        try:
            await self._store([b for _, b in good])
        except Exception:
            log.warning("batch store failed, retrying one by one", consumer=self._durable, exc_info=True)
            for msg, batch in good:
                await self._store_one(msg, batch)
            return
        for msg, _ in good:
            await msg.ack()

    async def _store(self, batch: list[T]) -> None:
        async with self._sessions() as session, session.begin():
            await self._write(session, batch, self._clock())

    async def _store_one(self, msg: Msg, batch: T) -> None:
        try:
            await self._store([batch])
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
            await publish(self._js, DLQ_SUBJECT, msg.data, msg_id=f"dlq:{msg_id_of(msg)}", headers=headers)
        except Exception:
            # Not acknowledged: the message comes back and is dead-lettered on a later delivery.
            log.warning("dead-letter publish failed", consumer=self._durable, exc_info=True)
            return
        log.info("message dead-lettered", consumer=self._durable, reason=reason[:200])
        await msg.ack()
