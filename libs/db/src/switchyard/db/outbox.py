"""The transactional outbox: events are rows written in the same transaction as the state change.

``switchyard.bus.OutboxRelay`` later publishes unpublished rows to JetStream with their ``msg_id`` as
``Nats-Msg-Id``, so a row is delivered once in effect even when a relay crashes mid-batch.
"""

from __future__ import annotations

import uuid
from typing import Any

from opentelemetry import propagate
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import registry

TABLE_NAME = "outbox"
_ROW_CLASS = "switchyard.outbox.row_class"
_INSERT = "switchyard.outbox.insert"


def outbox_table(metadata: MetaData) -> Table:
    """Declare the ``outbox`` table in ``metadata`` (and so in the service's schema).

    Calling it twice for the same metadata returns the same table. Create it through the
    service's migrations (autogenerate picks it up from ``Base.metadata``).

    Returns:
        The table: ``id`` bigserial, ``msg_id`` unique text, ``subject``, ``payload`` bytea,
        ``headers`` jsonb, ``created_at``, ``published_at`` (NULL until relayed).
    """
    key = f"{metadata.schema}.{TABLE_NAME}" if metadata.schema else TABLE_NAME
    existing = metadata.tables.get(key)
    if existing is not None:
        return existing
    table = Table(
        TABLE_NAME,
        metadata,
        Column("id", BigInteger, Identity(always=False), primary_key=True),
        Column("msg_id", Text, nullable=False, unique=True),
        Column("subject", Text, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
    )
    # The relay scans only pending rows; a partial index keeps that scan small as the table grows.
    Index(
        f"ix_{TABLE_NAME}_pending",
        table.c.id,
        postgresql_where=table.c.published_at.is_(None),
    )
    return table


def _row_class(table: Table) -> type[Any]:
    # An imperative ORM mapping lets add_outbox stay synchronous: session.add() queues the INSERT
    # and the caller's flush/commit writes it, inside the caller's transaction.
    cls = table.info.get(_ROW_CLASS)
    if cls is None:
        cls = type(f"OutboxRow_{table.schema or 'public'}", (), {})
        registry().map_imperatively(cls, table)
        table.info[_ROW_CLASS] = cls
    return cls


def _values(
    subject: str, payload: bytes, msg_id: str | None, headers: dict[str, str] | None
) -> dict[str, Any]:
    # The current trace context first, so the relayed message continues the request's trace.
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    carrier.update(headers or {})
    return {"msg_id": msg_id or uuid.uuid4().hex, "subject": subject, "payload": payload, "headers": carrier}


def add_outbox(
    session: AsyncSession,
    table: Table,
    *,
    subject: str,
    payload: bytes,
    msg_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    """Queue an event in the caller's transaction; it is written on the session's next flush/commit.

    The current trace context is stored with the headers so the relayed message continues the
    trace of the request that caused it.

    Args:
        session: The session whose transaction also writes the state change.
        table: The service's ``outbox_table(...)``.
        subject: ``<svc>.<aggregate>.<past-tense>``.
        payload: Serialised protobuf event.
        msg_id: Idempotency key (``Nats-Msg-Id``); a random one when None.
        headers: Extra NATS headers.

    Returns:
        The message id.
    """
    values = _values(subject, payload, msg_id, headers)
    row = _row_class(table)()
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    return str(values["msg_id"])


async def write_outbox(
    session: AsyncSession,
    table: Table,
    *,
    subject: str,
    payload: bytes,
    msg_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    """``add_outbox`` as one INSERT executed now, for hot paths.

    The ORM route of ``add_outbox`` costs a unit-of-work flush at commit (about a millisecond of CPU);
    this is a plain statement in the caller's transaction, with the same row and headers.
    """
    values = _values(subject, payload, msg_id, headers)
    insert = table.info.get(_INSERT)
    if insert is None:
        # Built once per table: constructing the statement costs more CPU than running it.
        insert = table.info[_INSERT] = table.insert()
    await session.execute(insert, values)
    return str(values["msg_id"])


__all__ = ["TABLE_NAME", "add_outbox", "outbox_table", "write_outbox"]
