"""The outbox table, add_outbox and write_outbox against the real PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.db.base import make_metadata
from switchyard.db.outbox import add_outbox, outbox_table, write_outbox

pytestmark = pytest.mark.integration


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
    scratch_outbox: tuple[async_sessionmaker[AsyncSession], Table],
) -> None:
    sessions, table = scratch_outbox
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


async def test_write_outbox_inserts_at_once_in_the_callers_transaction(
    scratch_outbox: tuple[async_sessionmaker[AsyncSession], Table],
) -> None:
    sessions, table = scratch_outbox
    async with sessions() as session, session.begin():
        written = await write_outbox(
            session, table, subject="svc.thing.done", payload=b"\x03", msg_id="w-1", headers={"k": "w"}
        )
        # Already in the transaction, before any flush: visible to a statement in the same session.
        inside = (await session.execute(select(table.c.msg_id))).scalars().all()
    assert (written, inside) == ("w-1", ["w-1"])
    async with sessions() as session:
        row = (await session.execute(select(table))).one()
    assert (row.msg_id, row.subject, row.payload, row.headers["k"]) == ("w-1", "svc.thing.done", b"\x03", "w")
    with pytest.raises(RuntimeError, match="state change failed"):
        await _write_then_fail(sessions, table, writer=write_outbox)
    async with sessions() as session:
        assert len((await session.execute(select(table))).all()) == 1


async def _write_then_fail(
    sessions: async_sessionmaker[AsyncSession], table: Table, writer: Any = None
) -> None:
    async with sessions() as session, session.begin():
        if writer is None:
            add_outbox(session, table, subject="svc.thing.created", payload=b"x")
            await session.flush()
        else:
            await writer(session, table, subject="svc.thing.created", payload=b"x")
        raise RuntimeError("the state change failed after the event was queued")


async def test_rolled_back_transaction_leaves_no_row(
    scratch_outbox: tuple[async_sessionmaker[AsyncSession], Table],
) -> None:
    sessions, table = scratch_outbox
    with pytest.raises(RuntimeError, match="state change failed"):
        await _write_then_fail(sessions, table)
    async with sessions() as session:
        assert (await session.execute(select(table))).all() == []


async def test_current_trace_context_is_stored_with_the_row(
    scratch_outbox: tuple[async_sessionmaker[AsyncSession], Table],
) -> None:
    sessions, table = scratch_outbox
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
