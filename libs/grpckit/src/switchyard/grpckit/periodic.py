"""A background pass run every N seconds for a service's lifetime (repair loops, reconcilers)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from switchyard.obs import get_logger

log = get_logger(__name__)


class Periodic:
    """Runs ``step`` every ``interval`` seconds until stopped; a failing step is logged and retried.

    Args:
        name: Task and log name.
        step: One pass; returns how many things it fixed (logged at WARNING when non-zero, because a
            repair that finds work means something was lost).
        interval: Seconds between passes; 0 or less disables the loop (tests run passes on demand).
    """

    def __init__(self, name: str, step: Callable[[], Awaitable[int]], interval: float) -> None:
        self._name = name
        self._step = step
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the loop in the background (no-op when disabled)."""
        if self._interval > 0:
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                fixed = await self._step()
            except Exception:
                log.exception("periodic pass failed", task=self._name)
                continue
            if fixed:
                log.warning("periodic pass repaired state", task=self._name, count=fixed)

    async def stop(self) -> None:
        """Cancel the loop and wait for it."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


__all__ = ["Periodic"]
