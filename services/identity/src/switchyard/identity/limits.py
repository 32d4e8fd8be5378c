"""Redis-backed rate gates under the ``identity:`` key prefix."""

from __future__ import annotations

import redis.asyncio
from switchyard.db.redis import KeySpace

KEYS = KeySpace("identity")


class RedisRateLimiter:
    """``RateLimiter`` with ``SET NX EX``: shared by every replica."""

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self._redis = client

    async def acquire(self, key: str, *, seconds: int) -> bool:
        """True when the key was free and is now held for ``seconds``."""
        return bool(await self._redis.set(KEYS.key(key), b"1", nx=True, ex=seconds))
