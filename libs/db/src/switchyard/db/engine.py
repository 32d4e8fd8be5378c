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
    max_overflow: int = 0,
    pre_ping: bool = False,
    application_name: str = "",
) -> AsyncEngine:
    """Create a pooled asyncpg engine.

    Args:
        url: PostgreSQL URL in any of the forms ``async_url`` accepts.
        pool_size: Connections kept open.
        max_overflow: Extra connections allowed under load. Zero by default: under sustained load
            SQLAlchemy closes every overflow connection on return, so each burst pays new
            PostgreSQL backends (fork + auth) instead of a short wait for a pooled one.
        pre_ping: Test each connection on checkout. Off by default because it is one extra round
            trip per checkout; without it a server restart fails the statements already on the dead
            connections once, SQLAlchemy then invalidates the whole pool, and ``pool_recycle``
            bounds how long an idle connection is trusted.
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
        pool_pre_ping=pre_ping,
        pool_recycle=1800,
        connect_args=connect_args,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory whose objects stay readable after commit (``expire_on_commit=False``)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def create_read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for single-statement reads on an autocommit connection.

    A normal session wraps even one SELECT in BEGIN ... ROLLBACK: two extra round trips on a hot read
    path. Use these only where each statement may see its own snapshot (one query, or queries whose
    mutual consistency does not matter); anything that writes or needs a snapshot uses a normal session.
    """
    return async_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)


__all__ = ["async_url", "create_engine", "create_read_session_factory", "create_session_factory"]
