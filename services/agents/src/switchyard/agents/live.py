"""Redis-backed live state: presence snapshots, stream registrations and per-server action guards.

Keys (all under ``agents:``):
``presence:{server}`` (Presence protobuf, TTL = presence TTL), ``heartbeat:{server}`` (the raw latest
HeartbeatRequest, same TTL), ``stream:{server}`` (``<replica>:<stream>`` of the replica holding the
CommandStream, TTL refreshed while open), ``guard:{name}:{server}`` (SET NX guards: ``restart`` for
30 s, ``heartbeat-db`` for the once-a-minute PostgreSQL touch, ``reenroll`` for 5 min,
``dwaar-config`` while a Dwaar config patch runs).
"""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf.message import DecodeError
from redis.asyncio import Redis
from switchyard.agents.domain.servers.models import PresenceView
from switchyard.agents.rpc import _mapping as m
from switchyard.agents.v1 import agents_pb2
from switchyard.db.redis import KeySpace

KEYS = KeySpace("agents")

# Deletes / refreshes a stream registration only while it still names this stream (a newer stream of
# the same server, on any replica, owns the key from then on).
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
# A registration that vanished (Redis restarted, key evicted) is re-created; one taken over is not.
_REFRESH = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return 1 end
return 0
"""


def presence_key(server_id: str) -> str:
    """``agents:presence:{server}``."""
    return KEYS.key("presence", server_id)


def stream_key(server_id: str) -> str:
    """``agents:stream:{server}``."""
    return KEYS.key("stream", server_id)


class RedisLive:
    """``LiveState`` on Redis, plus the stream registry the stream hub uses."""

    def __init__(self, redis: Redis) -> None:
        self._r = redis

    async def save_presence(self, server_id: str, presence: PresenceView, raw: bytes, ttl: int) -> None:
        """Store the snapshot and the raw heartbeat with the presence TTL (one round trip)."""
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.set(presence_key(server_id), m.presence(presence).SerializeToString(), ex=ttl)
            pipe.set(KEYS.key("heartbeat", server_id), raw, ex=ttl)
            await pipe.execute()

    async def presences(self, server_ids: Sequence[str]) -> dict[str, PresenceView]:
        """Live snapshots of these servers."""
        if not server_ids:
            return {}
        values = await self._r.mget([presence_key(s) for s in server_ids])
        found: dict[str, PresenceView] = {}
        for server_id, value in zip(server_ids, values, strict=True):
            if not isinstance(value, bytes):
                continue
            try:
                found[server_id] = m.presence_view(agents_pb2.Presence.FromString(value))
            except DecodeError:
                continue
        return found

    async def connected(self, server_ids: Sequence[str]) -> set[str]:
        """Servers with a live stream registration."""
        if not server_ids:
            return set()
        values = await self._r.mget([stream_key(s) for s in server_ids])
        return {s for s, v in zip(server_ids, values, strict=True) if v is not None}

    async def claim(self, name: str, server_id: str, ttl: int) -> bool:
        """SET NX EX: False when the guard is already set."""
        return bool(await self._r.set(KEYS.key("guard", name, server_id), b"1", nx=True, ex=ttl))

    async def release(self, name: str, server_id: str) -> None:
        """Delete a guard."""
        await self._r.delete(KEYS.key("guard", name, server_id))

    async def forget(self, server_id: str) -> None:
        """Drop every live key of a deleted server."""
        await self._r.delete(presence_key(server_id), KEYS.key("heartbeat", server_id), stream_key(server_id))

    async def register_stream(self, server_id: str, holder: str, ttl: int) -> None:
        """This stream holds the server from now on (replacing any older registration)."""
        await self._r.set(stream_key(server_id), holder.encode(), ex=ttl)

    async def refresh_streams(self, holders: Sequence[tuple[str, str]], ttl: int) -> list[bool]:
        """Extend each (server, holder) registration in one pipelined round trip; False where another
        stream took the server over."""
        if not holders:
            return []
        async with self._r.pipeline(transaction=False) as pipe:
            for server_id, holder in holders:
                pipe.eval(_REFRESH, 1, stream_key(server_id), holder, ttl)
            return [bool(ours) for ours in await pipe.execute()]

    async def release_stream(self, server_id: str, holder: str) -> None:
        """Remove the registration if it is still this stream's."""
        await self._r.eval(_RELEASE, 1, stream_key(server_id), holder)

    async def holds_stream(self, server_id: str, holder: str) -> bool:
        """Whether the registration still names this stream (no newer stream took the server over)."""
        return await self._r.get(stream_key(server_id)) == holder.encode()
