"""Retrying one request: 3 attempts, 1/2/4 s backoff, 4xx never retried."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import httpx
from switchyard.donmai._timing import RetryPolicy, Sleep

log = logging.getLogger("switchyard.donmai")


async def send_with_retry(
    send: Callable[[], Awaitable[httpx.Response]], *, policy: RetryPolicy, sleep: Sleep, what: str
) -> httpx.Response | None:
    """Send until a 2xx or a 4xx (retrying cannot fix a 4xx), at most ``policy.attempts`` times.

    Args:
        send: Makes the request; called once per attempt so it can pick up fresh credentials.
        policy: Attempts and backoff.
        sleep: Sleeps between attempts.
        what: Names the request in log lines.

    Returns:
        The last response, or None when every attempt failed without one (network errors).
    """
    waits = policy.waits()
    last: httpx.Response | None = None
    for attempt in range(policy.attempts):
        try:
            last = await send()
        except httpx.HTTPError as error:
            log.warning("donmai %s attempt %d failed: %s", what, attempt + 1, type(error).__name__)
            last = None
        else:
            if last.is_success or 400 <= last.status_code < 500:
                return last
            log.warning("donmai %s attempt %d answered %d", what, attempt + 1, last.status_code)
        if attempt < len(waits):
            await sleep(waits[attempt])
    return last
