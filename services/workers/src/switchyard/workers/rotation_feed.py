"""Credential rotations over NATS: one core subscription per replica, fanned out in process by org.

Each replica subscribes once to ``workers.credentials.rotated.>`` and hands every rotation to the
watchers it serves for that org. A rotation is written to the outbox in the transaction that stamps
``rotated_at`` (durable, and captured by the WORKERS stream), then published at once after commit with
the same ``Nats-Msg-Id``: JetStream stores one copy, and watchers need not wait for the relay's next pass.
Core subscribers see both publishes, so the feed drops a message id it has already dispatched.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC

import nats.aio.client
import nats.js
from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.bus import MSG_ID_HEADER, publish
from switchyard.db.outbox import add_outbox
from switchyard.obs import get_logger
from switchyard.workers.db.models import outbox
from switchyard.workers.domain.events import CREDENTIALS_ROTATED_PREFIX, CredentialsRotated
from switchyard.workers.domain.ports import RotationNotice
from switchyard.workers.events import to_proto
from switchyard.workers.v1 import events_pb2

log = get_logger(__name__)
SUBJECT = f"{CREDENTIALS_ROTATED_PREFIX}.>"
# A watcher that falls this far behind loses notices; one is enough to make a daemon re-snapshot anyway.
QUEUE_SIZE = 64
# Message ids remembered to drop the relay's copy of a rotation already published directly.
SEEN_IDS = 4096


class _QueueInbox:
    """``RotationInbox`` over an asyncio queue."""

    def __init__(self, queue: asyncio.Queue[RotationNotice]) -> None:
        self._queue = queue

    async def next(self, wait_seconds: float) -> RotationNotice | None:
        """The next notice, or None after ``wait_seconds``."""
        if not self._queue.empty():
            return self._queue.get_nowait()
        if wait_seconds <= 0:
            return None
        try:
            async with asyncio.timeout(wait_seconds):
                return await self._queue.get()
        except TimeoutError:
            return None


class NatsRotationFeed:
    """``RotationFeed`` on NATS; call ``start()`` before serving and ``stop()`` before NATS closes."""

    def __init__(self, nc: nats.aio.client.Client, js: nats.js.JetStreamContext) -> None:
        self._nc = nc
        self._js = js
        self._watchers: dict[str, set[asyncio.Queue[RotationNotice]]] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        """Subscribe (and flush, so the server knows the interest before the first watcher arrives)."""
        self._subscription = await self._nc.subscribe(SUBJECT, cb=self._on_message)
        await self._nc.flush()

    async def stop(self) -> None:
        """Unsubscribe."""
        if self._subscription is not None:
            subscription, self._subscription = self._subscription, None
            await subscription.unsubscribe()

    def stage(self, session: AsyncSession, event: CredentialsRotated, *, msg_id: str) -> None:
        """Write the rotation to the outbox in the caller's transaction."""
        add_outbox(
            session, outbox, subject=event.subject, payload=to_proto(event).SerializeToString(), msg_id=msg_id
        )

    async def announce(self, event: CredentialsRotated, *, msg_id: str) -> None:
        """Publish a committed rotation now; on failure the outbox relay still delivers it."""
        try:
            await publish(self._js, event.subject, to_proto(event).SerializeToString(), msg_id=msg_id)
        except Exception as exc:
            # The outbox row is the durable copy: a failed direct publish only costs the relay's delay.
            log.warning(
                "rotation publish deferred to the outbox relay", org_id=event.org_id, error=type(exc).__name__
            )

    @asynccontextmanager
    async def subscribe(self, org_id: str) -> AsyncIterator[_QueueInbox]:
        """Receive the org's rotations while the context is open."""
        queue: asyncio.Queue[RotationNotice] = asyncio.Queue(QUEUE_SIZE)
        self._watchers.setdefault(org_id, set()).add(queue)
        try:
            yield _QueueInbox(queue)
        finally:
            watchers = self._watchers.get(org_id)
            if watchers is not None:
                watchers.discard(queue)
                if not watchers:
                    del self._watchers[org_id]

    def watching(self, org_id: str) -> int:
        """How many watchers of the org this replica serves."""
        return len(self._watchers.get(org_id, ()))

    def _first_time(self, msg: Msg) -> bool:
        msg_id = (msg.headers or {}).get(MSG_ID_HEADER, "")
        if not msg_id:
            return True
        if msg_id in self._seen:
            return False
        self._seen[msg_id] = None
        if len(self._seen) > SEEN_IDS:
            self._seen.popitem(last=False)
        return True

    async def _on_message(self, msg: Msg) -> None:
        if not self._first_time(msg):
            return
        try:
            event = events_pb2.CredentialsRotated.FromString(msg.data)
        except DecodeError:
            log.warning("undecodable rotation message", subject=msg.subject)
            return
        notice = RotationNotice(
            org_id=event.org_id,
            kind=event.kind,
            rotated_at=event.rotated_at.ToDatetime().replace(tzinfo=UTC),
        )
        for queue in list(self._watchers.get(notice.org_id, ())):
            try:
                queue.put_nowait(notice)
            except asyncio.QueueFull:
                log.warning("rotation watcher is behind; notice dropped", org_id=notice.org_id)
