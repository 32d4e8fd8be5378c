"""Per-key ingest rate limits, counted in process and summed across replicas in Redis.

An ingest door answers thousands of requests a second; a Redis round trip on each one (the way the
auth routes count) cost a seventh of the door's CPU and sat on every request's latency. Instead each
replica counts its own hits of the current second in memory and, at most every ``interval`` seconds
while hits arrive, adds them to ``gw:ingest:rl:{bucket}:{second}`` (INCRBY, expiring after 2 s) in one
pipelined round trip, learning the total of every replica from the answer.

The decision is ``total seen in Redis + own hits not yet flushed >= limit``: exact with one replica,
and with N replicas it lets through at most what the other replicas admitted since their last flush
(about ``limit * interval`` each). When Redis is unreachable a replica keeps limiting on its own counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from switchyard.obs import get_logger

KEY_PREFIX = "gw:ingest:rl"
WINDOW_TTL_SECONDS = 2
FLUSH_INTERVAL_SECONDS = 0.05
# A flush that Redis does not answer within this long is given up (counts stay local): the client has no
# socket timeout, and a stuck flush must neither stall the sharing forever nor hang the gateway's shutdown.
FLUSH_TIMEOUT_SECONDS = 1.0
_log = get_logger(__name__)


@dataclass(slots=True)
class _Window:
    second: int
    known: int = 0  # the bucket's total in Redis at the last flush (every replica's hits)
    pending: int = 0  # own hits not yet sent
    sending: int = 0  # own hits sent, answer not yet back


class IngestLimiter:
    """Fixed one-second windows per bucket (a DSN id, a hashed push key)."""

    def __init__(
        self,
        redis: Redis,
        *,
        interval: float = FLUSH_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._interval = interval
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        self._due = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def hit(self, bucket: str, limit: int) -> bool:
        """Count one request of ``bucket`` in this second; False (not counted) once ``limit`` is reached."""
        second = int(self._clock())
        window = self._windows.get(bucket)
        if window is None or window.second != second:
            window = self._windows[bucket] = _Window(second)
        if window.known + window.sending + window.pending >= limit:
            return False
        window.pending += 1
        if not self._due.is_set():
            self._due.set()
            if self._task is None:
                self._task = asyncio.get_running_loop().create_task(self._run(), name="ingest-rate-flush")
        return True

    async def _run(self) -> None:
        while True:
            await self._due.wait()
            await asyncio.sleep(self._interval)
            self._due.clear()
            await self.flush()

    async def flush(self) -> None:
        """Send the pending counts now and learn every replica's totals."""
        current = int(self._clock())
        # Windows of past seconds are done once nothing of theirs is still owed to Redis.
        done = [b for b, w in self._windows.items() if w.second < current and not (w.pending or w.sending)]
        for bucket in done:
            del self._windows[bucket]
        batch = [(bucket, w, w.pending) for bucket, w in self._windows.items() if w.pending]
        if not batch:
            return
        for _, window, count in batch:
            window.pending -= count
            window.sending += count
        try:
            deadline = asyncio.timeout(FLUSH_TIMEOUT_SECONDS)
            async with deadline, self._redis.pipeline(transaction=False) as pipe:
                for bucket, window, count in batch:
                    key = f"{KEY_PREFIX}:{bucket}:{window.second}"
                    pipe.incrby(key, count)
                    pipe.expire(key, WINDOW_TTL_SECONDS)
                answers = await pipe.execute()
        except Exception as exc:
            _log.warning("ingest rate counts not shared", error=type(exc).__name__, buckets=len(batch))
            for _, window, count in batch:
                window.sending -= count
                window.known += count
            return
        for (_, window, count), total in zip(batch, answers[::2], strict=True):
            window.sending -= count
            window.known = max(window.known, int(total))

    async def close(self) -> None:
        """Stop flushing (what is pending is sent first)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()
