"""Per-test JetStream stream and outbox schema with unique names, on the shared servers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import nats.aio.client
import nats.js
import pytest
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from switchyard.bus import connect, ensure_stream
from switchyard.db.base import make_metadata
from switchyard.db.engine import create_engine, create_session_factory
from switchyard.db.outbox import outbox_table


@dataclass
class Stream:
    name: str
    prefix: str

    def subject(self, tail: str) -> str:
        return f"{self.prefix}.{tail}"


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[nats.aio.client.Client]:
    client = await connect(nats_url, name="libs-bus-tests")
    yield client
    await client.drain()


@pytest.fixture
def js(nc: nats.aio.client.Client) -> nats.js.JetStreamContext:
    return nc.jetstream()


@pytest.fixture
async def stream(js: nats.js.JetStreamContext) -> AsyncIterator[Stream]:
    suffix = uuid.uuid4().hex[:10]
    created = Stream(name=f"T{suffix.upper()}", prefix=f"t{suffix}")
    await ensure_stream(js, name=created.name, subjects=[f"{created.prefix}.>"])
    yield created
    await js.delete_stream(created.name)


@pytest.fixture
async def outbox(database_url: str) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], Table]]:
    schema = f"relay_{uuid.uuid4().hex[:10]}"
    metadata = make_metadata(schema)
    table = outbox_table(metadata)
    engine: AsyncEngine = create_engine(database_url, pool_size=4, max_overflow=2)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(metadata.create_all)
    yield create_session_factory(engine), table
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await engine.dispose()
