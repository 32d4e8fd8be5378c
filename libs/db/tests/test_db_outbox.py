"""The outbox table and add_outbox against the real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from sqlalchemy import Table, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from switchyard.db.base import make_metadata
from switchyard.db.engine import create_engine, create_session_factory
from switchyard.db.outbox import add_outbox, outbox_table

pytestmark = pytest.mark.integration


@pytest.fixture
async def outbox(database_url: str) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], Table]]:
    schema = f"outbox_{uuid.uuid4().hex[:10]}"
    metadata = make_metadata(schema)
    table = outbox_table(metadata)
    engine: AsyncEngine = create_engine(database_url, pool_size=2, max_overflow=0)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(metadata.create_all)
    yield create_session_factory(engine), table
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await engine.dispose()


def test_outbox_table_is_declared_once_per_metadata() -> None:
    metadata = make_metadata("svc")
    table = outbox_table(metadata)
    assert outbox_table(metadata) is table
    assert table.schema == "svc"
    assert set(table.c.keys()) == {
        "id",
        "msg_id",
        "subject",
        "payload",
        "headers",
        "created_at",
        "published_at",
    }


async def test_committed_rows_are_stored_with_their_message_ids(
    outbox: tuple[async_sessionmaker[AsyncSession], Table],
) -> None:
    sessions, table = outbox
    async with sessions() as session, session.begin():
        given = add_outbox(session, table, subject="svc.thing.created", payload=b"\x01", msg_id="fixed-id")
        generated = add_outbox(
            session, table, subject="svc.thing.updated", payload=b"\x02", headers={"k": "v"}
        )
    assert given == "fixed-id"
    assert generated
    assert generated != given
    async with sessions() as session:
        rows = (await session.execute(select(table).order_by(table.c.id))).all()
    assert [(r.msg_id, r.subject, r.payload, r.published_at) for r in rows] == [
        ("fixed-id", "svc.thing.created", b"\x01", None),
        (generated, "svc.thing.updated", b"\x02", None),
    ]
    assert rows[1].headers["k"] == "v"


async def _write_then_fail(sessions: async_sessionmaker[AsyncSession], table: Table) -> None:
    async with sessions() as session, session.begin():
        add_outbox(session, table, subject="svc.thing.created", payload=b"x")
        await session.flush()
        raise RuntimeError("the state change failed after the event was queued")


async def test_rolled_back_transaction_leaves_no_row(
    outbox: tuple[async_sessionmaker[AsyncSession], Table],
) -> None:
    sessions, table = outbox
    with pytest.raises(RuntimeError, match="state change failed"):
        await _write_then_fail(sessions, table)
    async with sessions() as session:
        assert (await session.execute(select(table))).all() == []


async def test_current_trace_context_is_stored_with_the_row(
    outbox: tuple[async_sessionmaker[AsyncSession], Table],
) -> None:
    sessions, table = outbox
    trace_id = int(uuid.uuid4().hex, 16)
    parent = SpanContext(trace_id=trace_id, span_id=0xABC, is_remote=False, trace_flags=TraceFlags(1))
    token = otel_context.attach(trace.set_span_in_context(NonRecordingSpan(parent)))
    try:
        async with sessions() as session, session.begin():
            add_outbox(session, table, subject="svc.thing.created", payload=b"x")
    finally:
        otel_context.detach(token)
    async with sessions() as session:
        headers = await session.scalar(select(table.c.headers))
    assert headers["traceparent"].split("-")[1] == format(trace_id, "032x")
