"""The Redis side of the watcher registry: one sorted set of live rotation watchers per org.

Key ``workers:rotate-subs:{org}``: member = watcher id, score = expiry (epoch ms). Each open stream
renews its member; a closed one removes it; a replica that died leaves members that simply expire. The
key itself expires with its latest member, so orgs nobody watches leave nothing behind.
"""

from __future__ import annotations

from redis.asyncio import Redis
from switchyard.workers.store import KEYS

# Add or renew a member, then keep the key alive exactly as long as its latest member.
_TOUCH = """
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 1
"""


def watchers_key(org_id: str) -> str:
    """The sorted set of an org's watchers."""
    return KEYS.key("rotate-subs", org_id)


class RedisWatchers:
    """``WatcherRegistry`` on Redis sorted sets."""

    def __init__(self, redis: Redis) -> None:
        self._r = redis
        self._touch = redis.register_script(_TOUCH)

    async def touch(self, org_id: str, watcher_id: str, *, expires_at_ms: int) -> None:
        """Register or renew a watcher until ``expires_at_ms``."""
        await self._touch(keys=[watchers_key(org_id)], args=[expires_at_ms, watcher_id])

    async def remove(self, org_id: str, watcher_id: str) -> None:
        """Forget a watcher that closed."""
        await self._r.zrem(watchers_key(org_id), watcher_id)

    async def count(self, org_id: str, *, now_ms: int) -> int:
        """Live watchers of the org, pruning the expired ones."""
        key = watchers_key(org_id)
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", f"({now_ms}")
            pipe.zcount(key, now_ms, "+inf")
            _, live = await pipe.execute()
        return int(live)
