"""Waiting for asynchronous effects (a consumer storing what was published) without timing assertions."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T]], within: float = 20.0) -> T:
    """Poll ``probe`` until it returns a truthy value; its last value when ``within`` seconds pass."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await probe()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)
