"""What the analytics and metrics consumers parse and store (the stream side of the two protocols)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import nats.js
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.bus import publish
from switchyard.ingest.batch_consumer import BatchConsumer
from switchyard.ingest.config import Settings
from switchyard.ingest.domain import ledger
from switchyard.ingest.domain.analytics.capture import parse_capture
from switchyard.ingest.domain.analytics.queries import AnalyticsService
from switchyard.ingest.domain.analytics.store import Capture, store_captures
from switchyard.ingest.domain.context import Deps
from switchyard.ingest.domain.metrics import push
from switchyard.ingest.domain.metrics.keys import MetricsKeyService
from switchyard.ingest.domain.metrics.service import MetricsService, store_points
from switchyard.ingest.events import (
    DSN_HEADER,
    METRICS_SUBJECT,
    ORG_HEADER,
    POSTHOG_SUBJECT,
    RECEIVED_HEADER,
    STREAM,
)


def parse_capture_msg(
    msg_id: str, headers: dict[str, str], body: bytes, now: datetime
) -> tuple[str, Capture]:
    """A ``ingest.raw.posthog`` message to its events; ``ValueError`` when it can never be stored."""
    org = headers.get(ORG_HEADER, "")
    if not org:
        raise ValueError(f"missing {ORG_HEADER} header")
    try:
        received_at = datetime.fromisoformat(headers.get(RECEIVED_HEADER, ""))
    except ValueError as exc:
        raise ValueError(f"bad {RECEIVED_HEADER} header") from exc
    return msg_id, Capture(
        org_id=org,
        dsn_id=headers.get(DSN_HEADER, ""),
        received_at=received_at,
        events=parse_capture(body, msg_id=msg_id, received_at=received_at),
    )


async def store_capture_batch(session: AsyncSession, batch: list[tuple[str, Capture]], now: datetime) -> None:
    """Store the events of a batch (a redelivered event's uuid is already there and skipped)."""
    await store_captures(session, [capture for _, capture in batch])


PushPayload = tuple[str, str, list[push.Point]]


def parse_metrics_msg(
    msg_id: str, headers: dict[str, str], body: bytes, now: datetime
) -> tuple[str, PushPayload]:
    """A ``ingest.raw.metrics`` message to (org, service, points); ``ValueError`` when it is not one."""
    try:
        return msg_id, push.decode(body)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a metrics push: {type(exc).__name__}") from exc


async def store_metrics_batch(
    session: AsyncSession, batch: list[tuple[str, PushPayload]], now: datetime
) -> None:
    """Store the points of messages not in the ledger yet (pushes carry no natural key)."""
    fresh = await ledger.claim(session, [msg_id for msg_id, _ in batch], now=now)
    payloads = []
    for msg_id, payload in batch:
        if msg_id in fresh:
            fresh.discard(msg_id)  # the same message twice in one fetch is stored once
            payloads.append(payload)
    await store_points(session, payloads)


@dataclass(kw_only=True)
class AnalyticsParts:
    """The analytics and metrics services and consumers the composition root wires in."""

    analytics: AnalyticsService
    metrics_keys: MetricsKeyService
    metrics: MetricsService
    consumers: list[BatchConsumer[Any]]

    async def start(self) -> None:
        """Start (or resume) both consumers."""
        for consumer in self.consumers:
            await consumer.start()

    async def stop(self) -> None:
        """Stop both consumers; what they did not acknowledge stays in the stream."""
        for consumer in self.consumers:
            await consumer.stop()


def build(deps: Deps, js: nats.js.JetStreamContext, *, settings: Settings) -> AnalyticsParts:
    """The analytics services and their two consumers (not started)."""

    async def publish_metrics(payload: bytes, msg_id: str) -> None:
        await publish(js, METRICS_SUBJECT, payload, msg_id=msg_id)

    keys = MetricsKeyService(deps)
    capture_consumer: BatchConsumer[Any] = BatchConsumer(
        js,
        deps.sessions,
        clock=deps.clock,
        stream=STREAM,
        subject=POSTHOG_SUBJECT,
        durable=settings.analytics_durable,
        batch_size=settings.batch_size,
        decode=parse_capture_msg,
        store=store_capture_batch,
        deliver_new=settings.sentry_deliver_new,
    )
    metrics_consumer: BatchConsumer[Any] = BatchConsumer(
        js,
        deps.sessions,
        clock=deps.clock,
        stream=STREAM,
        subject=METRICS_SUBJECT,
        durable=settings.metrics_durable,
        batch_size=settings.batch_size,
        decode=parse_metrics_msg,
        store=store_metrics_batch,
        deliver_new=settings.sentry_deliver_new,
    )
    return AnalyticsParts(
        analytics=AnalyticsService(deps),
        metrics_keys=keys,
        metrics=MetricsService(deps, keys=keys, publish=publish_metrics),
        consumers=[capture_consumer, metrics_consumer],
    )
