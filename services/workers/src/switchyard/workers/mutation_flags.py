"""``MutationFlags`` on Redis: which workers have open daemon mutations (a projection of mutations' events).

Keys (under ``workers:``): ``worker:{id}:mutations`` — set of the worker's open mutation ids, read by the
heartbeat script (SCARD); ``mutation-closed:{id}`` — a tombstone, so a late "open" (a redelivered
``enqueued`` event, a repair pass racing an ACK) never resurrects a mutation that is already closed.
"""

from __future__ import annotations

from redis.asyncio import Redis
from switchyard.workers.domain.ports import MutationMark
from switchyard.workers.store import KEYS

# A worker that vanished leaves its set behind; mutations' repair loop re-adds what is still open, so a
# month without a change is safe to forget.
SET_TTL_SECONDS = 30 * 24 * 3600
# Longer than any redelivery or repair pass can lag behind the close.
TOMBSTONE_TTL_SECONDS = 7 * 24 * 3600

_OPEN = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""

_CLOSE = """
redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
redis.call('SREM', KEYS[1], ARGV[1])
return 1
"""


class RedisMutationFlags:
    """Open-mutation sets per worker, with tombstones for closed mutations."""

    def __init__(self, redis: Redis) -> None:
        self._r = redis
        self._open = redis.register_script(_OPEN)
        self._close = redis.register_script(_CLOSE)

    async def track(self, marks: list[MutationMark]) -> int:
        """Apply every mark in one pipeline; how many changed the projection's intent."""
        if not marks:
            return 0
        async with self._r.pipeline(transaction=False) as pipe:
            for mark in marks:
                keys = [
                    KEYS.key("worker", mark.worker_id, "mutations"),
                    KEYS.key("mutation-closed", mark.mutation_id),
                ]
                if mark.open:
                    await self._open(keys=keys, args=[mark.mutation_id, SET_TTL_SECONDS], client=pipe)
                else:
                    await self._close(keys=keys, args=[mark.mutation_id, TOMBSTONE_TTL_SECONDS], client=pipe)
            results = await pipe.execute()
        return sum(int(r) for r in results)
