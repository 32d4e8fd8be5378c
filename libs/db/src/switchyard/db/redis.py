"""Redis (Valkey) client and key prefixes: each service owns the keys under ``<svc>:``."""

from __future__ import annotations

import redis.asyncio


def create_redis(url: str) -> redis.asyncio.Redis:
    """Create an async Redis client that returns bytes and checks idle connections.

    Args:
        url: ``redis://host:port/db`` (``rediss://`` for TLS).

    Returns:
        The client; ``await client.aclose()`` on shutdown.
    """
    return redis.asyncio.Redis.from_url(
        url,
        decode_responses=False,
        # Ping a connection idle this long before reuse, so a server restart is noticed.
        health_check_interval=30,
        socket_keepalive=True,
        retry_on_timeout=True,
    )


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
