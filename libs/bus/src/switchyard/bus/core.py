"""NATS connection, stream set-up and publishing with dedupe ids and trace context."""

from __future__ import annotations

import contextlib
from typing import Any

import nats
import nats.aio.client
import nats.js
import nats.js.errors
from nats.js.api import StreamConfig
from opentelemetry import propagate, trace
from switchyard.obs import get_logger, tracing_enabled

log = get_logger(__name__)
tracer = trace.get_tracer("switchyard.bus")

MSG_ID_HEADER = "Nats-Msg-Id"


async def connect(url: str, *, name: str) -> nats.aio.client.Client:
    """Connect to NATS, reconnecting forever when the server goes away.

    Args:
        url: ``nats://host:port``, or several separated by commas (a cluster).
        name: Connection name shown by the server's monitoring (the service name).

    Returns:
        The client; use ``client.jetstream()`` for streams and ``await client.drain()`` on shutdown.
    """

    async def on_error(exc: Exception) -> None:
        log.warning("nats error", connection=name, error=str(exc))

    async def on_disconnect() -> None:
        log.warning("nats disconnected", connection=name)

    async def on_reconnect() -> None:
        log.info("nats reconnected", connection=name)

    return await nats.connect(
        servers=[part.strip() for part in url.split(",") if part.strip()],
        name=name,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        error_cb=on_error,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
    )


async def ensure_stream(
    js: nats.js.JetStreamContext,
    *,
    name: str,
    subjects: list[str],
    max_age_seconds: float | None = None,
    duplicate_window_seconds: float = 120,
) -> None:
    """Create the stream, or update it to this configuration when it already exists.

    Args:
        js: A JetStream context.
        name: Stream name (a service's stream is its upper-case name, e.g. ``IDENTITY``).
        subjects: Subjects captured (``["identity.>"]``).
        max_age_seconds: Discard messages older than this; keep forever when None.
        duplicate_window_seconds: How long a ``Nats-Msg-Id`` is remembered for dedupe.
    """
    config = StreamConfig(
        name=name,
        subjects=subjects,
        max_age=max_age_seconds,
        duplicate_window=duplicate_window_seconds,
    )
    try:
        await js.add_stream(config)
    except nats.js.errors.BadRequestError:
        # Replicas race here on boot, and an existing stream may need new settings.
        await js.update_stream(config)


async def publish(
    js: nats.js.JetStreamContext,
    subject: str,
    payload: bytes,
    *,
    msg_id: str,
    headers: dict[str, str] | None = None,
) -> int:
    """Publish to JetStream and wait for the stream's acknowledgement.

    ``Nats-Msg-Id`` is set to ``msg_id`` so a retry within the stream's duplicate window is stored
    once. The current trace context is injected unless ``headers`` already carry one (the outbox
    stores the context of the request that produced the event).

    Returns:
        The stream sequence number of the stored message (the first one's, for a duplicate).
    """
    if not tracing_enabled():
        # No span to record (the hot ingest path pays for none); a current context is still passed on.
        return await _publish(js, subject, payload, msg_id, headers)
    with tracer.start_as_current_span(f"{subject} publish", kind=trace.SpanKind.PRODUCER) as span:
        span.set_attribute("messaging.system", "nats")
        span.set_attribute("messaging.destination.name", subject)
        span.set_attribute("messaging.message.id", msg_id)
        return await _publish(js, subject, payload, msg_id, headers)


async def _publish(
    js: nats.js.JetStreamContext, subject: str, payload: bytes, msg_id: str, headers: dict[str, str] | None
) -> int:
    merged: dict[str, Any] = {}
    if trace.get_current_span().get_span_context().is_valid:
        propagate.inject(merged)
    merged.update(headers or {})
    merged[MSG_ID_HEADER] = msg_id
    ack = await js.publish(subject, payload, headers=merged)
    return int(ack.seq)


__all__ = ["MSG_ID_HEADER", "connect", "ensure_stream", "publish"]


async def drain_quietly(client: nats.aio.client.Client) -> None:
    """Drain a connection on shutdown; a connection that is already gone is not an error."""
    with contextlib.suppress(Exception):
        await client.drain()
