"""Deployment events on JetStream: stream ``DEPLOY_PROGRESS`` (subjects ``deploy.progress.<deployment id>``,
kept 24 h), JSON ``{ts, deploymentId, status, message}`` per event.

``DEPLOY``'s subjects are the outbox ones only (``deploy.change.>``, ``deploy.envvar.>``): streams may not
overlap, and progress must expire after a day while the feed events do not.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import nats.errors
import nats.js
import nats.js.errors
from nats.js.api import ConsumerConfig, DeliverPolicy
from switchyard.bus import ensure_stream, publish

STREAM = "DEPLOY_PROGRESS"
PREFIX = "deploy.progress"
SUBJECTS = [f"{PREFIX}.>"]
MAX_AGE_SECONDS = 24 * 3600
# How often a quiet watch re-checks whether it is over (in case a final event was lost).
IDLE_SECONDS = 2.0


def subject(deployment_id: str) -> str:
    """``deploy.progress.<deployment id>``."""
    return f"{PREFIX}.{deployment_id}"


def rfc3339(moment: datetime) -> str:
    """UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def ensure(js: nats.js.JetStreamContext) -> None:
    """Create (or update) the 24 h stream."""
    await ensure_stream(js, name=STREAM, subjects=SUBJECTS, max_age_seconds=MAX_AGE_SECONDS)


class JetStreamProgressLog:
    """``ProgressLog`` and the reader behind WatchDeploymentEvents."""

    def __init__(self, js: nats.js.JetStreamContext) -> None:
        self._js = js

    async def append(self, *, deployment_id: str, status: str, message: str, at: datetime) -> None:
        """Publish one event (awaits the stream's ack)."""
        body = {"ts": rfc3339(at), "deploymentId": deployment_id, "status": status, "message": message}
        payload = json.dumps(body, separators=(",", ":")).encode()
        await publish(self._js, subject(deployment_id), payload, msg_id=str(uuid.uuid4()))

    async def _last_seq(self, deployment_id: str) -> int:
        try:
            last = await self._js.get_last_msg(STREAM, subject(deployment_id))
        except nats.js.errors.NotFoundError:
            return 0
        return int(last.seq or 0)

    async def watch(
        self, deployment_id: str, *, from_ts: datetime | None, limit: int
    ) -> AsyncIterator[dict[str, Any] | None]:
        """Stored events from ``from_ts`` (at most ``limit``), then live ones; ``None`` marks "caught up"
        with the stored history and, later, every quiet ``IDLE_SECONDS`` (the caller re-checks then)."""
        last = await self._last_seq(deployment_id)
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_TIME if from_ts else DeliverPolicy.ALL,
            opt_start_time=from_ts.astimezone(UTC) if from_ts else None,
        )
        sub = await self._js.subscribe(
            subject(deployment_id), stream=STREAM, ordered_consumer=True, config=config
        )
        replayed, caught_up = 0, last == 0
        try:
            if caught_up:
                yield None
            while True:
                try:
                    msg = await sub.next_msg(timeout=IDLE_SECONDS)
                except (TimeoutError, nats.errors.TimeoutError):
                    if not caught_up:
                        caught_up = True  # nothing (more) stored from from_ts
                    yield None
                    continue
                seq = msg.metadata.sequence.stream
                stored = seq <= last
                if stored:
                    replayed += 1
                if not stored or replayed <= limit:
                    yield json.loads(msg.data)
                if not caught_up and seq >= last:
                    caught_up = True
                    yield None
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
