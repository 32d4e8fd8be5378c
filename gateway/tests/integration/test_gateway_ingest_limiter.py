"""The ingest rate limiter against the real Valkey: exact within one replica, shared between replicas."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from switchyard.gateway.ingest_limiter import FLUSH_TIMEOUT_SECONDS, KEY_PREFIX, IngestLimiter

pytestmark = pytest.mark.integration

SECOND = 1_900_000_000


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


def _limiter(redis: Redis, clock: list[float]) -> IngestLimiter:
    # A long interval: the tests decide when counts are shared.
    return IngestLimiter(redis, interval=60, clock=lambda: clock[0])


async def test_one_replica_admits_exactly_the_limit_per_second(redis: Redis) -> None:
    clock = [SECOND + 0.1]
    limiter = _limiter(redis, clock)
    bucket = uuid.uuid4().hex
    try:
        answers = [limiter.hit(bucket, 5) for _ in range(7)]
        assert answers == [True] * 5 + [False] * 2
        await limiter.flush()
        # The admitted hits (not the refused ones) are what the other replicas see, expiring with the window.
        key = f"{KEY_PREFIX}:{bucket}:{SECOND}"
        assert int(await redis.get(key) or 0) == 5
        assert 0 < await redis.ttl(key) <= 2
        assert limiter.hit(bucket, 5) is False
        clock[0] = SECOND + 1.0  # the next second starts from zero
        assert limiter.hit(bucket, 5) is True
        assert limiter.hit("another-" + bucket, 5) is True
    finally:
        await limiter.close()


async def test_replicas_share_their_counts_through_redis(redis: Redis) -> None:
    clock = [SECOND + 5.5]
    first, second = _limiter(redis, clock), _limiter(redis, clock)
    bucket = uuid.uuid4().hex
    try:
        assert all(first.hit(bucket, 10) for _ in range(8))
        await first.flush()
        assert second.hit(bucket, 10) is True  # it has not heard of the first replica yet
        await second.flush()  # now it has: 9 of 10 used
        assert [second.hit(bucket, 10) for _ in range(2)] == [True, False]
        await second.flush()
        # The first replica last heard "8": it admits one more before its next flush tells it otherwise
        # (the documented overshoot: what other replicas admitted since the last flush).
        assert first.hit(bucket, 10) is True
        await first.flush()
        assert first.hit(bucket, 10) is False
        assert int(await redis.get(f"{KEY_PREFIX}:{bucket}:{SECOND + 5}") or 0) == 11
    finally:
        await first.close()
        await second.close()


async def test_an_unreachable_redis_leaves_the_local_limit_in_force() -> None:
    clock = [SECOND + 9.2]
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limiter = _limiter(dead, clock)
    try:
        assert all(limiter.hit("b", 3) for _ in range(3))
        await limiter.flush()  # fails: logged, counts kept locally
        assert limiter.hit("b", 3) is False
    finally:
        await limiter.close()
        await dead.aclose()


async def test_a_redis_that_never_answers_costs_one_flush_timeout_not_a_hang() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)  # takes the commands, never answers
        await asyncio.sleep(30)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    mute = Redis.from_url(f"redis://127.0.0.1:{port}/0")
    clock = [SECOND + 12.3]
    limiter = _limiter(mute, clock)
    try:
        assert all(limiter.hit("b", 2) for _ in range(2))
        async with asyncio.timeout(FLUSH_TIMEOUT_SECONDS + 2):
            await limiter.flush()
        assert limiter.hit("b", 2) is False
        async with asyncio.timeout(FLUSH_TIMEOUT_SECONDS + 2):
            await limiter.close()
    finally:
        server.close()
        await mute.aclose()
