"""Durable pull consumers: ack after the handler succeeds, nak (with backoff) when it fails."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import nats.errors
import nats.js
import nats.js.errors
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig
from opentelemetry import propagate, trace
from switchyard.obs import get_logger

log = get_logger(__name__)
tracer = trace.get_tracer("switchyard.bus")

Handler = Callable[[Msg], Awaitable[None]]

FETCH_BATCH = 10
# Short fetches keep shutdown prompt: ``stop`` is checked between fetches.
FETCH_TIMEOUT = 1.0
MAX_NAK_DELAY = 30.0


def _nak_delay(msg: Msg) -> float:
    try:
        delivered = msg.metadata.num_delivered or 1
    except Exception:
        delivered = 1
    # Back off so a poison message does not spin; the first retry comes almost at once.
    return float(min(0.1 * 2 ** (delivered - 1), MAX_NAK_DELAY))


async def _handle(msg: Msg, handler: Handler, durable: str) -> None:
    context = propagate.extract(dict(msg.headers or {}))
    with tracer.start_as_current_span(
        f"{msg.subject} process", context=context, kind=trace.SpanKind.CONSUMER
    ) as span:
        span.set_attribute("messaging.system", "nats")
        span.set_attribute("messaging.destination.name", msg.subject)
        span.set_attribute("messaging.consumer.group.name", durable)
        try:
            await handler(msg)
        except Exception:
            log.exception("event handler failed", consumer=durable, subject=msg.subject)
            await msg.nak(delay=_nak_delay(msg))
            return
        await msg.ack()


async def run_consumer(
    js: nats.js.JetStreamContext,
    *,
    stream: str,
    durable: str,
    subject: str,
    handler: Handler,
    stop: asyncio.Event,
) -> None:
    """Feed messages of a durable pull consumer to ``handler`` until ``stop`` is set.

    Replicas that run the same ``durable`` share the work. A message is acked after ``handler``
    returns and nak'ed (redelivered later) when it raises, so handlers must be idempotent.

    Args:
        js: A JetStream context.
        stream: The stream to read.
        durable: Consumer name, ``<svc>.<purpose>`` (dots are replaced, NATS forbids them).
        subject: Filter subject (``identity.user.>``).
        handler: Coroutine run once per delivery.
        stop: Set it to end the loop after the current batch.
    """
    name = durable.replace(".", "_")
    config = ConsumerConfig(durable_name=name, ack_policy=AckPolicy.EXPLICIT, filter_subject=subject)
    subscription = await js.pull_subscribe(subject, durable=name, stream=stream, config=config)
    try:
        while not stop.is_set():
            try:
                messages = await subscription.fetch(FETCH_BATCH, timeout=FETCH_TIMEOUT)
            except (nats.errors.TimeoutError, TimeoutError):
                # An empty fetch; asyncio's own timeout too (a busy loop can outlast fetch's deadline).
                continue
            except Exception:
                # Reconnects and leader changes surface here; keep consuming once NATS is back.
                log.warning("fetch failed", consumer=name, exc_info=True)
                await asyncio.sleep(FETCH_TIMEOUT)
                continue
            for msg in messages:
                await _handle(msg, handler, name)
    finally:
        # The durable consumer stays on the server; only this client's interest ends. A closed
        # connection has nothing left to unsubscribe.
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()


class BackgroundConsumer:
    """``run_consumer`` as a background task that outlives a missing stream.

    A service often consumes another service's stream, which that service creates when it starts; until
    then (and after any other failure of the subscription) the task waits ``retry_seconds`` and tries
    again, until ``stop``.

    Args:
        js: A JetStream context.
        stream: The stream to read.
        durable: Consumer name, ``<svc>.<purpose>``.
        subject: Filter subject.
        handler: Coroutine run once per delivery (must be idempotent).
        name: The task's name (for logs and debugging).
        retry_seconds: Wait between attempts to subscribe.
    """

    def __init__(
        self,
        js: nats.js.JetStreamContext,
        *,
        stream: str,
        durable: str,
        subject: str,
        handler: Handler,
        name: str,
        retry_seconds: float = 1.0,
    ) -> None:
        self._js = js
        self._stream, self._durable, self._subject = stream, durable, subject
        self._handler = handler
        self._name = name
        self._retry = retry_seconds
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await run_consumer(
                    self._js,
                    stream=self._stream,
                    durable=self._durable,
                    subject=self._subject,
                    handler=self._handler,
                    stop=self._stop,
                )
            except nats.js.errors.NotFoundError as exc:
                # Most often the stream does not exist yet: its owner creates it when it starts. No
                # traceback: formatting one costs tens of milliseconds of the loop, every retry.
                log.info(
                    "stream unavailable, retrying",
                    consumer=self._durable,
                    stream=self._stream,
                    error=exc.description or str(exc),
                )
            except Exception:
                log.warning(
                    "consumer failed, retrying", consumer=self._durable, stream=self._stream, exc_info=True
                )
            else:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._retry)

    def start(self) -> None:
        """Start consuming in the background."""
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        """Stop after the current batch."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


__all__ = ["BackgroundConsumer", "Handler", "run_consumer"]
