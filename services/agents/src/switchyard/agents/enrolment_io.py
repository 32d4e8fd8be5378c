"""Enrolment's adapters: the outbox writer, Redis counters and nonces, and the NATS disconnect request.

Redis keys (prefix ``agents:``): ``install-nonce:{nonce}`` (SET NX until the token's exp),
``install-refresh:{operator}`` (24 h window) and ``recover:{machine_id}`` (1 h window).
The disconnect request is a core NATS message on ``agents.disconnect.{server_id}``; the replica holding
that server's CommandStream closes it.
"""

from __future__ import annotations

from datetime import datetime

import nats.aio.client
from google.protobuf.timestamp_pb2 import Timestamp
from nats.errors import Error as NatsError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.agents.db.models import outbox
from switchyard.agents.domain.enrolment import events as ev
from switchyard.agents.domain.enrolment.models import ServerView
from switchyard.agents.domain.enrolment.ports import Hit
from switchyard.agents.v1 import agents_pb2, events_pb2
from switchyard.db.outbox import add_outbox
from switchyard.db.redis import KeySpace
from switchyard.grpckit.errors import Unavailable
from switchyard.obs import get_logger

KEYS = KeySpace("agents")
DISCONNECT_SUBJECT = "agents.disconnect.{server_id}"
log = get_logger(__name__)

# INCR and start the window on the first hit; answer the count and the seconds left in the window.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""


def ts(value: datetime | None) -> Timestamp | None:
    """A Timestamp, or None so the field stays unset."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def server_pb(view: ServerView) -> agents_pb2.Server:
    """The wire form of a stored server (presence fields are the stream owner's, left unset)."""
    return agents_pb2.Server(
        id=view.id,
        org_id=view.org_id,
        name=view.name,
        hostname=view.hostname,
        machine_id=view.machine_id,
        status=view.status,
        agent_version=view.agent_version,
        last_heartbeat_at=ts(view.last_heartbeat_at),
        created_at=ts(view.created_at),
        enrolled_at=ts(view.enrolled_at),
    )


def to_proto(event: ev.Event) -> events_pb2.ServerRegistered | events_pb2.ServerRevoked:
    """The ``events.proto`` payload of a domain event."""
    if isinstance(event, ev.ServerRegistered):
        return events_pb2.ServerRegistered(
            server=server_pb(event.server), relinked=event.relinked, occurred_at=ts(event.occurred_at)
        )
    return events_pb2.ServerRevoked(
        server_id=event.server_id,
        org_id=event.org_id,
        deleted=event.deleted,
        occurred_at=ts(event.occurred_at),
    )


class OutboxEnrolmentEvents:
    """``EventSink`` backed by the outbox table; the relay publishes rows after commit."""

    async def add(self, session: AsyncSession, event: ev.Event) -> None:
        """Queue ``event`` in the session's transaction."""
        add_outbox(
            session,
            outbox,
            subject=event.subject,
            payload=to_proto(event).SerializeToString(),
            msg_id=event.msg_id,
        )


class RedisEnrolmentLimits:
    """``Limits`` on Redis; any Redis or network error fails closed as ``Unavailable``."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._hit = redis.register_script(_HIT)

    async def hit(self, bucket: str, subject: str, *, window_seconds: int) -> Hit:
        """Count one attempt in a fixed window."""
        try:
            count, ttl = await self._hit(keys=[KEYS.key(bucket, subject)], args=[window_seconds])
        except (RedisError, OSError) as exc:
            raise Unavailable("rate limiter unavailable") from exc
        return Hit(count=int(count), retry_after=max(1, int(ttl)))

    async def claim(self, nonce: str, *, ttl_seconds: int) -> bool:
        """SET NX the nonce until the token expires."""
        try:
            return bool(
                await self._redis.set(KEYS.key("install-nonce", nonce), b"1", nx=True, ex=ttl_seconds)
            )
        except (RedisError, OSError) as exc:
            raise Unavailable("install token store unavailable") from exc

    async def claimed(self, nonce: str) -> bool:
        """True when the nonce key exists."""
        try:
            return bool(await self._redis.exists(KEYS.key("install-nonce", nonce)))
        except (RedisError, OSError) as exc:
            raise Unavailable("install token store unavailable") from exc

    async def unclaim(self, nonce: str) -> None:
        """Best effort: a nonce left claimed only costs the operator a fresh token."""
        try:
            await self._redis.delete(KEYS.key("install-nonce", nonce))
        except (RedisError, OSError):
            log.warning("install token nonce not released")


class NatsDisconnector:
    """Publishes ``agents.disconnect.{server_id}`` (core NATS: only live streams care)."""

    def __init__(self, nc: nats.aio.client.Client, *, timeout: int = 2) -> None:
        self._nc = nc
        self._timeout = timeout

    async def disconnect(self, *, server_id: str, org_id: str) -> bool:
        """Publish the request and flush it; False when NATS did not take it.

        The payload is empty: that is a forced disconnect (the stream hub also drops its cached credential
        check); a non-empty one names the newest stream to keep.
        """
        try:
            await self._nc.publish(DISCONNECT_SUBJECT.format(server_id=server_id), b"")
            await self._nc.flush(timeout=self._timeout)
        except (NatsError, OSError, TimeoutError) as exc:
            log.warning("disconnect request not published", server_id=server_id, error=type(exc).__name__)
            return False
        return True
