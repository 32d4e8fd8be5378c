"""SQL for commands. Every state change is one conditional UPDATE, so concurrent callers get one winner."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.agents.db.models import Command
from switchyard.agents.domain.commands.models import CommandView, QueueDepth
from switchyard.agents.domain.common import (
    CANCELLED,
    DISPATCHED,
    FAILED,
    OPEN_STATUSES,
    OUTPUT_CAP,
    PENDING,
    RUNNING,
)

T = cast(sa.Table, Command.__table__)
COLUMNS = tuple(T.c)

# The statements of a command's round trip (issue, deliver, ACK, final frame), built once and run with
# parameters: building one per call (coercions, cache key) costs more CPU than executing it.
_INSERT = sa.insert(T)
_GET = sa.select(*COLUMNS).where(T.c.id == sa.bindparam("command_id"))
_GET_IN_ORG = _GET.where(T.c.org_id == sa.bindparam("org_id"))
_FINISH = (
    sa.update(T)
    .where(T.c.id == sa.bindparam("command_id"), T.c.server_id == sa.bindparam("of_server"))
    .where(T.c.status.in_(OPEN_STATUSES))
    .values(
        status=sa.bindparam("final"),
        output=sa.func.right(T.c.output + sa.bindparam("chunk", type_=sa.Text), OUTPUT_CAP),
        dispatched_at=sa.func.coalesce(T.c.dispatched_at, sa.bindparam("at")),
        finished_at=sa.bindparam("at"),
    )
    .returning(*COLUMNS)
)
_ACK = (
    sa.update(T)
    .where(T.c.id == sa.bindparam("command_id"), T.c.server_id == sa.bindparam("of_server"))
    .where(T.c.status == PENDING)
    .values(status=DISPATCHED, dispatched_at=sa.bindparam("now"))
)


def to_view(row: Any) -> CommandView:
    """A result row (every column of ``commands``) as a view."""
    return CommandView(
        id=row.id,
        server_id=row.server_id,
        org_id=row.org_id,
        type=row.type,
        payload=dict(row.payload or {}),
        status=row.status,
        output=row.output,
        requested_by=row.requested_by,
        created_at=row.created_at,
        dispatched_at=row.dispatched_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        secret_enc=row.secret_enc,
    )


def _appended(chunk: str) -> sa.ColumnElement[str]:
    # The tail is cut in SQL so a progress frame costs one round trip, whatever the stored output is.
    return sa.func.right(T.c.output + sa.literal(chunk, sa.Text), OUTPUT_CAP)


async def insert(session: AsyncSession, view: CommandView) -> None:
    """Store a new pending command."""
    await session.execute(
        _INSERT,
        {
            "id": view.id,
            "server_id": view.server_id,
            "org_id": view.org_id,
            "type": view.type,
            "payload": view.payload,
            "status": PENDING,
            "output": "",
            "requested_by": view.requested_by,
            "created_at": view.created_at,
            "secret_enc": view.secret_enc,
        },
    )


async def get(session: AsyncSession, *, command_id: str, org_id: str | None = None) -> CommandView | None:
    """One command (of the org, when given)."""
    if org_id is None:
        row = (await session.execute(_GET, {"command_id": command_id})).first()
    else:
        row = (await session.execute(_GET_IN_ORG, {"command_id": command_id, "org_id": org_id})).first()
    return to_view(row) if row else None


async def pending_for(session: AsyncSession, *, server_id: str) -> list[CommandView]:
    """Every pending command of the server, oldest first (what a newly opened stream delivers)."""
    rows = await session.execute(
        sa.select(*COLUMNS)
        .where(T.c.server_id == server_id, T.c.status == PENDING)
        .order_by(T.c.created_at, T.c.id)
    )
    return [to_view(r) for r in rows]


async def page(
    session: AsyncSession,
    *,
    server_id: str,
    org_id: str,
    limit: int,
    after: tuple[datetime, str] | None,
    statuses: Sequence[str],
) -> list[CommandView]:
    """Up to ``limit`` commands older than the ``after`` key, newest first."""
    query = sa.select(*COLUMNS).where(T.c.server_id == server_id, T.c.org_id == org_id)
    if after is not None:
        query = query.where(sa.tuple_(T.c.created_at, T.c.id) < sa.tuple_(*after))
    if statuses:
        query = query.where(T.c.status.in_(list(statuses)))
    rows = await session.execute(query.order_by(T.c.created_at.desc(), T.c.id.desc()).limit(limit))
    return [to_view(r) for r in rows]


async def depth(session: AsyncSession, *, server_id: str) -> QueueDepth:
    """Open commands of the server, counted by state."""
    rows = await session.execute(
        sa.select(T.c.status, sa.func.count())
        .where(T.c.server_id == server_id, T.c.status.in_(OPEN_STATUSES))
        .group_by(T.c.status)
    )
    counts = {status: int(count) for status, count in rows}
    return QueueDepth(
        pending=counts.get(PENDING, 0), dispatched=counts.get(DISPATCHED, 0), running=counts.get(RUNNING, 0)
    )


async def ack(session: AsyncSession, *, server_id: str, command_id: str, now: datetime) -> bool:
    """pending -> dispatched, only for a command of this server; False when nothing changed."""
    result = await session.execute(_ACK, {"command_id": command_id, "of_server": server_id, "now": now})
    return bool(getattr(result, "rowcount", 0))


async def progress(
    session: AsyncSession, *, server_id: str, command_id: str, chunk: str, now: datetime
) -> tuple[str, int] | None:
    """An open command of this server becomes running, with ``chunk`` appended to its output.

    Returns its (org, type), or None when nothing changed.
    """
    row = (
        await session.execute(
            sa.update(T)
            .where(T.c.id == command_id, T.c.server_id == server_id, T.c.status.in_(OPEN_STATUSES))
            .values(
                status=RUNNING,
                output=_appended(chunk),
                # The ACK may arrive after the first progress frame (it is a separate call).
                dispatched_at=sa.func.coalesce(T.c.dispatched_at, now),
                started_at=sa.func.coalesce(T.c.started_at, now),
            )
            .returning(T.c.org_id, T.c.type)
        )
    ).first()
    return (str(row.org_id), int(row.type)) if row else None


async def finish(
    session: AsyncSession, *, server_id: str, command_id: str, status: str, chunk: str, now: datetime
) -> CommandView | None:
    """An open command of this server takes its final ``status``; None when it is not open (or not its)."""
    params = {"command_id": command_id, "of_server": server_id, "final": status, "chunk": chunk, "at": now}
    row = (await session.execute(_FINISH, params)).first()
    return to_view(row) if row else None


async def cancel_pending(
    session: AsyncSession, *, server_id: str, command_ids: Sequence[str] | None, now: datetime
) -> list[CommandView]:
    """Pending commands of the server (only ``command_ids`` when given) become cancelled."""
    query = sa.update(T).where(T.c.server_id == server_id, T.c.status == PENDING)
    if command_ids is not None:
        query = query.where(T.c.id.in_(list(command_ids)))
    rows = await session.execute(query.values(status=CANCELLED, finished_at=now).returning(*COLUMNS))
    return [to_view(r) for r in rows]


async def cancel_open(session: AsyncSession, *, server_id: str, now: datetime) -> list[CommandView]:
    """Every open command of the server becomes cancelled (the server is going away)."""
    rows = await session.execute(
        sa.update(T)
        .where(T.c.server_id == server_id, T.c.status.in_(OPEN_STATUSES))
        .values(status=CANCELLED, finished_at=now)
        .returning(*COLUMNS)
    )
    return [to_view(r) for r in rows]


async def fail_in_flight(
    session: AsyncSession, *, server_id: str, command_ids: Sequence[str] | None, note: str, now: datetime
) -> list[CommandView]:
    """Dispatched/running commands of the server (only ``command_ids`` when given) become failed with
    ``note`` appended to their output: their stream is gone and the agent drops results it cannot send."""
    query = sa.update(T).where(T.c.server_id == server_id, T.c.status.in_((DISPATCHED, RUNNING)))
    if command_ids is not None:
        query = query.where(T.c.id.in_(list(command_ids)))
    rows = await session.execute(
        query.values(status=FAILED, output=_appended(note), finished_at=now).returning(*COLUMNS)
    )
    return [to_view(r) for r in rows]
