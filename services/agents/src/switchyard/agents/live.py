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
# Refreshes a batch of registrations in one command (KEYS = stream keys, ARGV = ttl, then one holder per
# key): a registration that vanished (Redis restarted, key evicted) is re-created; one taken over is not.
# One script call instead of a pipeline of 500 is what keeps the refresh from stalling the event loop
# for tens of milliseconds every 10 s (packing and parsing 500 commands in Python).
_REFRESH = """
local out = {}
for i, key in ipairs(KEYS) do
  local want = ARGV[i + 1]
  local v = redis.call('GET', key)
  if v == want then redis.call('EXPIRE', key, ARGV[1]) out[i] = 1
  elseif not v then redis.call('SET', key, want, 'EX', ARGV[1]) out[i] = 1
  else out[i] = 0 end
end
return out
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
        self._refresh = redis.register_script(_REFRESH)

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
        """Extend each (server, holder) registration in one script call; False where another
        stream took the server over."""
        if not holders:
            return []
        keys = [stream_key(server_id) for server_id, _ in holders]
        answer = await self._refresh(keys=keys, args=[ttl, *(holder for _, holder in holders)])
        return [bool(ours) for ours in answer]

    async def release_stream(self, server_id: str, holder: str) -> None:
        """Remove the registration if it is still this stream's."""
        await self._r.eval(_RELEASE, 1, stream_key(server_id), holder)

    async def holds_stream(self, server_id: str, holder: str) -> bool:
        """Whether the registration still names this stream (no newer stream took the server over)."""
        return await self._r.get(stream_key(server_id)) == holder.encode()
