"""Async SQLAlchemy engines and sessions on asyncpg."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

_ASYNC_SCHEME = "postgresql+asyncpg://"


def async_url(url: str) -> str:
    """Rewrite a PostgreSQL URL for the asyncpg driver.

    ``postgres://``, ``postgresql://`` and ``postgresql+<driver>://`` all become
    ``postgresql+asyncpg://``; libpq's ``sslmode=`` becomes asyncpg's ``ssl=``. Anything else is
    returned unchanged.
    """
    scheme, sep, rest = url.partition("://")
    if not (sep and (scheme in {"postgres", "postgresql"} or scheme.startswith("postgresql+"))):
        return url
    # asyncpg rejects libpq's sslmode keyword, which managed-Postgres URLs usually carry.
    rest = re.sub(r"([?&])sslmode=", r"\1ssl=", rest)
    return _ASYNC_SCHEME + rest


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    application_name: str = "",
) -> AsyncEngine:
    """Create a pooled asyncpg engine.

    Args:
        url: PostgreSQL URL in any of the forms ``async_url`` accepts.
        pool_size: Connections kept open.
        max_overflow: Extra connections allowed under load.
        application_name: Shown in ``pg_stat_activity`` (use the service name).

    Returns:
        The engine; ``await engine.dispose()`` on shutdown.
    """
    connect_args: dict[str, Any] = {}
    if application_name:
        connect_args["server_settings"] = {"application_name": application_name}
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        # A replica restart or failover must not surface as an error on the next request.
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory whose objects stay readable after commit (``expire_on_commit=False``)."""
    return async_sessionmaker(engine, expire_on_commit=False)


__all__ = ["async_url", "create_engine", "create_session_factory"]
