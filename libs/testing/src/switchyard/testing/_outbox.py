"""A throwaway schema holding only an outbox table, for tests of the outbox and its relay."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.db.base import make_metadata
from switchyard.db.engine import create_engine, create_session_factory
from switchyard.db.outbox import outbox_table

ScratchOutbox = tuple[async_sessionmaker[AsyncSession], Table]


@pytest.fixture
async def scratch_outbox(database_url: str) -> AsyncIterator[ScratchOutbox]:
    """Sessions and an ``outbox`` table in a fresh schema, dropped after the test."""
    schema = f"outbox_{uuid.uuid4().hex[:10]}"
    metadata = make_metadata(schema)
    table = outbox_table(metadata)
    engine = create_engine(database_url, pool_size=4)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(metadata.create_all)
    yield create_session_factory(engine), table
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await engine.dispose()
