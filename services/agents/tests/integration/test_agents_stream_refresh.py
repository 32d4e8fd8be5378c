"""The hub-wide refresh of stream registrations: one pipelined pass keeps, restores or gives up each one."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.integration


async def test_refresh_extends_every_registration_and_restores_a_vanished_one(fleet, redis) -> None:
    first, second = await fleet.enrol(), await fleet.enrol()
    hub = fleet.replicas["a"].hub
    async with fleet.agent(first, answer=False), fleet.agent(second, answer=False) as kept:
        holder = await redis.get(f"agents:stream:{second.id}")
        await redis.expire(f"agents:stream:{second.id}", 3)
        await redis.delete(f"agents:stream:{first.id}")
        await hub.refresh()
        assert (
            await redis.get(f"agents:stream:{first.id}")
            == f"{hub.replica_id}:{hub.streams[first.id]}".encode()
        )
        assert await redis.get(f"agents:stream:{second.id}") == holder
        assert await redis.ttl(f"agents:stream:{second.id}") > 3
        assert not kept.ended.is_set()


async def test_refresh_closes_a_stream_whose_registration_another_stream_took(fleet, redis) -> None:
    taken, untouched = await fleet.enrol(), await fleet.enrol()
    hub = fleet.replicas["a"].hub
    async with fleet.agent(taken, answer=False) as old, fleet.agent(untouched, answer=False) as other:
        await redis.set(f"agents:stream:{taken.id}", b"elsewhere:stream", ex=30)
        await hub.refresh()
        async with asyncio.timeout(10):
            await old.ended.wait()
        assert taken.id not in hub.streams
        assert await redis.get(f"agents:stream:{taken.id}") == b"elsewhere:stream"
        assert untouched.id in hub.streams
        assert not other.ended.is_set()
