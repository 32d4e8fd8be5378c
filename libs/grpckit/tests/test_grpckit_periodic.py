"""Periodic: passes repeat, a failing pass does not end the loop, stop ends it, 0 disables it."""

from __future__ import annotations

import asyncio

import pytest
from switchyard.grpckit.periodic import Periodic

pytestmark = pytest.mark.unit


async def test_passes_repeat_survive_failures_and_stop() -> None:
    calls: list[int] = []

    async def step() -> int:
        calls.append(len(calls))
        if len(calls) == 2:
            raise RuntimeError("one bad pass")
        return 1

    loop = Periodic("test-loop", step, 0.01)
    loop.start()
    for _ in range(200):
        if len(calls) >= 4:
            break
        await asyncio.sleep(0.01)
    await loop.stop()
    stopped_at = len(calls)
    assert stopped_at >= 4, "the loop went on after the failing second pass"
    await asyncio.sleep(0.05)
    assert len(calls) == stopped_at


async def test_a_zero_interval_disables_the_loop() -> None:
    calls: list[int] = []

    async def step() -> int:
        calls.append(1)
        return 0

    loop = Periodic("off", step, 0)
    loop.start()
    await asyncio.sleep(0.05)
    await loop.stop()
    assert calls == []
