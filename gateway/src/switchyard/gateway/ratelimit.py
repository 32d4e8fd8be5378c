"""Fixed-window rate limits per client IP and route, counted in Redis so every replica shares them.

Key: ``gw:rl:<route>:<client ip>:<window>`` where the window is the current minute; it expires with
the window. Over the limit the caller gets 429 ``{"error": "too many requests"}`` and ``Retry-After``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from switchyard.gateway.errors import GatewayError
from switchyard.gateway.state import gateway_of

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler

WINDOW_SECONDS = 60
RATE_LIMIT_OPT = "rate_limit"


def client_ip(connection: ASGIConnection[Any, Any, Any, Any], *, trust_proxy: bool) -> str:
    """The caller's IP: the first ``X-Forwarded-For`` hop behind a trusted proxy, else the peer."""
    if trust_proxy:
        forwarded = connection.headers.get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    client = connection.client
    return client.host if client else "unknown"


async def hit(redis: Any, *, route: str, ip: str, limit: int, now: float | None = None) -> int | None:
    """Count one request; return the seconds to wait when over ``limit``, else None."""
    moment = time.time() if now is None else now
    window = int(moment // WINDOW_SECONDS)
    key = f"gw:rl:{route}:{ip}:{window}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS + 1)
        count, _ = await pipe.execute()
    if int(count) <= limit:
        return None
    return max(1, int((window + 1) * WINDOW_SECONDS - moment) + 1)


async def rate_limit_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Litestar guard for handlers that set ``opt={"rate_limit": "<route name>"}``."""
    route = handler.opt.get(RATE_LIMIT_OPT)
    if not route:
        return
    gateway = gateway_of(connection)
    settings = gateway.settings
    ip = client_ip(connection, trust_proxy=settings.trust_proxy)
    wait = await hit(gateway.redis, route=str(route), ip=ip, limit=settings.auth_rate_limit_per_minute)
    if wait is not None:
        raise GatewayError(429, "too many requests", retry_after=wait)
