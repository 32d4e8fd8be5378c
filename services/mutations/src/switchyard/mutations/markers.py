"""Redis pending markers (``mutations:pending:{host}``): idle heartbeats read one key and skip PostgreSQL."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis
from redis.exceptions import RedisError
from switchyard.db.redis import KeySpace
from switchyard.mutations.domain.ports import MarkerUnavailable

KEYS = KeySpace("mutations")

# Compare-and-delete: a mark made after the caller's read holds another token and survives.
_CLEAR = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def marker_key(host: str) -> str:
    """The marker key of one host."""
    return KEYS.key("pending", host)


class RedisMarkers:
    """``PendingMarkers`` on Redis; every Redis or network error becomes ``MarkerUnavailable``."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._clear = redis.register_script(_CLEAR)

    async def peek(self, host: str) -> str | None:
        """The host's token, or None."""
        try:
            value = await self._redis.get(marker_key(host))
        except (RedisError, OSError) as exc:
            raise MarkerUnavailable(str(exc)) from exc
        return value.decode() if isinstance(value, bytes) else value

    async def mark(self, host: str) -> None:
        """Flag the host with a fresh token."""
        try:
            await self._redis.set(marker_key(host), secrets.token_hex(8))
        except (RedisError, OSError) as exc:
            raise MarkerUnavailable(str(exc)) from exc

    async def ensure(self, host: str) -> bool:
        """Flag the host unless it already is."""
        try:
            return bool(await self._redis.set(marker_key(host), secrets.token_hex(8), nx=True))
        except (RedisError, OSError) as exc:
            raise MarkerUnavailable(str(exc)) from exc

    async def clear(self, host: str, token: str) -> None:
        """Remove the flag if it still holds ``token``."""
        try:
            await self._clear(keys=[marker_key(host)], args=[token])
        except (RedisError, OSError) as exc:
            raise MarkerUnavailable(str(exc)) from exc
