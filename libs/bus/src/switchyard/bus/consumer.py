"""Durable pull consumers: ack after the handler succeeds, nak (with backoff) when it fails."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import nats.errors
import nats.js
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
            except nats.errors.TimeoutError:
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


__all__ = ["Handler", "run_consumer"]
