"""Schema-per-service Alembic: the body of every service's ``env.py`` and a programmatic upgrade.

A service's ``migrations/env.py`` is just::

    from switchyard.db.migrations import run_env
    from switchyard.identity.db.base import Base

    run_env(target_metadata=Base.metadata, schema="identity")

Migrations run while holding ``pg_advisory_lock(hashtext(schema))`` on the migrating connection, so
replicas that boot together (or ``just up`` racing a test run) apply each revision exactly once.
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, pool, text
from sqlalchemy.ext.asyncio import create_async_engine
from switchyard.db.engine import async_url

URL_ATTRIBUTE = "switchyard.url"
SCHEMA_ATTRIBUTE = "switchyard.schema"
FILE_TEMPLATE = "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s"

# alembic.context is a process-global proxy: two upgrades in one process must not interleave.
_in_process = threading.Lock()


def _quote(schema: str) -> str:
    return '"' + schema.replace('"', '""') + '"'


def _url_for(config: Any, schema: str) -> str:
    url = config.attributes.get(URL_ATTRIBUTE) or config.get_main_option("sqlalchemy.url")
    url = url or os.environ.get(f"{schema.upper()}_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError(f"no database URL for the {schema} migrations (set DATABASE_URL)")
    return str(url)


def _configure_kwargs(target_metadata: MetaData, schema: str) -> dict[str, Any]:
    def include_name(name: str | None, type_: str, _parents: Any) -> bool:
        # Autogenerate must never propose dropping another service's schema or tables.
        return name == schema if type_ == "schema" else True

    return {
        "target_metadata": target_metadata,
        "version_table_schema": schema,
        "include_schemas": True,
        "include_name": include_name,
        "compare_type": True,
    }


def _migrate(connection: Connection, *, target_metadata: MetaData, schema: str) -> None:
    from alembic import context

    connection.execute(text("SELECT pg_advisory_lock(hashtext(:schema))"), {"schema": schema})
    try:
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}"))
        # Unqualified names in hand-written revisions land in the service's schema.
        connection.execute(text(f"SET search_path TO {_quote(schema)}, public"))
        connection.commit()
        context.configure(connection=connection, **_configure_kwargs(target_metadata, schema))
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        connection.rollback()
        connection.execute(text("SELECT pg_advisory_unlock(hashtext(:schema))"), {"schema": schema})
        connection.commit()


async def _run_online(url: str, *, target_metadata: MetaData, schema: str) -> None:
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(
                lambda sync: _migrate(sync, target_metadata=target_metadata, schema=schema)
            )
    finally:
        await engine.dispose()


def run_env(*, target_metadata: MetaData, schema: str) -> None:
    """Run the migrations of one service; this is the whole body of its alembic ``env.py``.

    Online mode connects through asyncpg, creates the schema when missing and keeps the version
    table (``alembic_version``) inside it. Offline mode (``alembic upgrade --sql``) prints SQL.

    Args:
        target_metadata: The service's ``Base.metadata`` (from ``make_metadata(schema)``).
        schema: The service's schema (``identity``).
    """
    from alembic import context

    expected = context.config.attributes.get(SCHEMA_ATTRIBUTE)
    if expected and expected != schema:
        raise RuntimeError(f"upgrade() was called for schema {expected!r} but env.py migrates {schema!r}")
    url = _url_for(context.config, schema)
    if context.is_offline_mode():
        context.configure(
            url=async_url(url), literal_binds=True, **_configure_kwargs(target_metadata, schema)
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, target_metadata=target_metadata, schema=schema))


def alembic_config(*, url: str, script_location: Path | str, schema: str = "") -> Any:
    """An ``alembic.config.Config`` for ``script_location`` that migrates ``url``.

    The URL travels in ``config.attributes``, not the ini options, so ``%`` in passwords is safe.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("file_template", FILE_TEMPLATE)
    config.attributes[URL_ATTRIBUTE] = url
    if schema:
        config.attributes[SCHEMA_ATTRIBUTE] = schema
    return config


def _upgrade_blocking(url: str, script_location: Path | str, schema: str) -> None:
    from alembic import command

    with _in_process:
        command.upgrade(alembic_config(url=url, script_location=script_location, schema=schema), "head")


async def upgrade(*, url: str, script_location: Path | str, schema: str) -> None:
    """Apply every pending migration (``alembic upgrade head``) of one service.

    Runs in a worker thread because the service's ``env.py`` drives its own event loop. Safe to
    call concurrently from several processes: ``env.py`` holds ``pg_advisory_lock(hashtext(schema))``.

    Args:
        url: PostgreSQL URL (any form ``async_url`` accepts).
        script_location: The service's migrations directory (holding ``env.py`` and ``versions/``).
        schema: The service's schema; must match the ``schema`` its ``env.py`` passes to ``run_env``.
    """
    if not schema:
        raise ValueError("schema is required")
    await asyncio.to_thread(_upgrade_blocking, url, script_location, schema)


__all__ = ["FILE_TEMPLATE", "SCHEMA_ATTRIBUTE", "URL_ATTRIBUTE", "alembic_config", "run_env", "upgrade"]
