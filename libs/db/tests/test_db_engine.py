"""Engine URLs, sessions and metadata against the real PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Column, Integer, Table, Text, UniqueConstraint, text
from switchyard.db.base import make_metadata
from switchyard.db.engine import (
    async_url,
    create_engine,
    create_read_session_factory,
    create_session_factory,
)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+asyncpg://u:p@h:5432/d"),
        ("postgresql://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
        ("postgresql://u@h/d?sslmode=require", "postgresql+asyncpg://u@h/d?ssl=require"),
        ("postgresql://u@h/d?a=1&sslmode=disable", "postgresql+asyncpg://u@h/d?a=1&ssl=disable"),
    ],
)
def test_async_url(url: str, expected: str) -> None:
    assert async_url(url) == expected


@pytest.mark.unit
def test_metadata_is_bound_to_the_schema_with_stable_constraint_names() -> None:
    metadata = make_metadata("billing")
    table = Table("invoice", metadata, Column("id", Integer, primary_key=True), Column("number", Text))
    table.append_constraint(UniqueConstraint("number"))
    assert table.schema == "billing"
    assert {constraint.name for constraint in table.constraints} == {"pk_invoice", "uq_invoice_number"}


@pytest.mark.integration
async def test_session_factory_talks_to_postgres_with_application_name(database_url: str) -> None:
    name = f"probe-{uuid.uuid4().hex[:8]}"
    engine = create_engine(database_url, pool_size=2, max_overflow=0, application_name=name)
    try:
        sessions = create_session_factory(engine)
        async with sessions() as session:
            seen = await session.scalar(text("SELECT current_setting('application_name')"))
        assert seen == name
        assert sessions.kw["expire_on_commit"] is False
    finally:
        await engine.dispose()


@pytest.mark.integration
async def test_read_sessions_run_each_statement_outside_an_explicit_transaction(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    xid = text("SELECT pg_current_xact_id()::text")
    try:
        async with create_session_factory(engine)() as session:
            # One BEGIN before the first statement: both statements share a transaction.
            assert await session.scalar(xid) == await session.scalar(xid)
        async with create_read_session_factory(engine)() as session:
            assert await session.scalar(xid) != await session.scalar(xid)
    finally:
        await engine.dispose()
