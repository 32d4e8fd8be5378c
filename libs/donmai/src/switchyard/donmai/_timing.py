"""Intervals, timeouts and the retry schedule; every one is injectable so tests run fast."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

DEFAULT_HEARTBEAT_SECONDS = 30
DEFAULT_POLL_SECONDS = 5

Sleep = Callable[[float], Awaitable[None]]


def interval_seconds(milliseconds: object, default: int) -> int:
    """Turn a server interval in milliseconds into whole seconds, rounded up as the Go daemon does.

    Args:
        milliseconds: The value the server sent (``heartbeatInterval`` / ``pollInterval``); may be absent.
        default: Seconds to use when the value is absent, not a number or not positive.

    Returns:
        The interval in seconds (at least 1 when the server sent a positive value).
    """
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, int | float):
        return default
    if not math.isfinite(milliseconds) or milliseconds <= 0:
        return default
    return math.ceil(milliseconds / 1000)


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and exponential backoff of the session posts and the lock-refresh pulse (1/2/4 s)."""

    attempts: int = 3
    base_delay: float = 1.0

    def schedule(self) -> tuple[float, ...]:
        """The backoff ladder, one step per attempt: ``(1, 2, 4)`` for the default policy.

        The wait after the n-th failed attempt is ``schedule()[n - 1]``; the last step is never slept
        because no attempt follows it.
        """
        return tuple(self.base_delay * 2**step for step in range(self.attempts))

    def waits(self) -> tuple[float, ...]:
        """The waits actually slept between attempts when every attempt fails: ``(1, 2)`` by default."""
        return self.schedule()[: max(self.attempts - 1, 0)]


@dataclass(frozen=True)
class Timings:
    """Every timeout, interval and backoff of the daemon.

    Defaults are the Go daemon's; ``heartbeat_interval`` / ``poll_interval`` override what the server
    sent (tests use fractions of a second).
    """

    register_timeout: float = 10.0
    heartbeat_timeout: float = 5.0
    poll_timeout: float = 30.0
    request_timeout: float = 10.0
    lock_refresh_interval: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Refresh the runtime token this long before it expires (a short-lived token refreshes at half life).
    refresh_margin: float = 300.0
    heartbeat_interval: float | None = None
    poll_interval: float | None = None


async def default_sleep(seconds: float) -> None:
    """``asyncio.sleep``; a named function so it can be swapped in tests."""
    await asyncio.sleep(seconds)
