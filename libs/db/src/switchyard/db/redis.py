"""Redis (Valkey) client and key prefixes: each service owns the keys under ``<svc>:``."""

from __future__ import annotations

from typing import Any

import redis.asyncio

_OPTIONS: dict[str, Any] = {
    "decode_responses": False,
    # Ping a connection idle this long before reuse, so a server restart is noticed.
    "health_check_interval": 30,
    "socket_keepalive": True,
    "retry_on_timeout": True,
}


def create_redis(
    url: str, *, max_connections: int | None = None, wait_seconds: float = 10.0
) -> redis.asyncio.Redis:
    """Create an async Redis client that returns bytes and checks idle connections.

    Args:
        url: ``redis://host:port/db`` (``rediss://`` for TLS).
        max_connections: When set, at most this many connections, and a command that finds them all
            busy waits for one (up to ``wait_seconds``). Unset: redis-py's own pool, which fails at once
            with ``MaxConnectionsError`` past 100 connections in use.
        wait_seconds: How long a command waits for a free connection of a bounded pool.

    Returns:
        The client; ``await client.aclose()`` on shutdown.
    """
    if max_connections is None:
        return redis.asyncio.Redis.from_url(url, **_OPTIONS)
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=wait_seconds, **_OPTIONS
    )
    return redis.asyncio.Redis.from_pool(pool)


class KeySpace:
    """Builds keys under one service's prefix, so services never touch each other's keys.

    Example:
        ``KeySpace("identity").key("session", sid)`` -> ``"identity:session:<sid>"``
    """

    def __init__(self, prefix: str) -> None:
        """Create a key space.

        Args:
            prefix: The owner's prefix (``identity``, ``gw``, ...), without a trailing colon.
        """
        if not prefix or prefix.endswith(":"):
            raise ValueError("a key prefix is a non-empty name without a trailing ':'")
        self.prefix = prefix

    def key(self, *parts: object) -> str:
        """Join the prefix and ``parts`` with ``:``."""
        return ":".join([self.prefix, *(str(part) for part in parts)])


__all__ = ["KeySpace", "create_redis"]
