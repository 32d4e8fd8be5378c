"""The three connection URLs that make up a stack."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

ENV_NAMES = ("DATABASE_URL", "REDIS_URL", "NATS_URL")


@dataclass(frozen=True, slots=True)
class StackUrls:
    """Connection URLs for PostgreSQL, Redis (Valkey) and NATS.

    Attributes:
        database_url: ``postgresql://user@host:port/db``.
        redis_url: ``redis://host:port/0``.
        nats_url: ``nats://host:port``.
    """

    database_url: str
    redis_url: str
    nats_url: str

    def as_env(self) -> dict[str, str]:
        """Return the URLs keyed by the env var names services read."""
        return {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url, "NATS_URL": self.nats_url}


def urls_from_env(environ: dict[str, str] | None = None) -> StackUrls | None:
    """Return the URLs from ``DATABASE_URL``/``REDIS_URL``/``NATS_URL`` when all three are set.

    Args:
        environ: Mapping to read instead of ``os.environ``.

    Returns:
        The configured URLs, or ``None`` when any of them is missing (the embedded stack is used then).
    """
    env = os.environ if environ is None else environ
    values = [env.get(name, "").strip() for name in ENV_NAMES]
    if not all(values):
        return None
    return StackUrls(database_url=values[0], redis_url=values[1], nats_url=values[2])


def with_env_overrides(urls: StackUrls, environ: dict[str, str] | None = None) -> StackUrls:
    """Return ``urls`` with each URL replaced by its env var when that one is set.

    Lets a developer point one server elsewhere (say ``DATABASE_URL``) while the others stay embedded.
    """
    env = os.environ if environ is None else environ
    fields = {"DATABASE_URL": "database_url", "REDIS_URL": "redis_url", "NATS_URL": "nats_url"}
    overrides = {attr: env[name].strip() for name, attr in fields.items() if env.get(name, "").strip()}
    return replace(urls, **overrides)
