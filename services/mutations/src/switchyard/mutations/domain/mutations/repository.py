"""SQL for mutations. Every state change is one conditional UPDATE, so concurrent callers get one winner."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.mutations.db.models import Mutation
from switchyard.mutations.domain.mutations.models import (
    APPLIED,
    CANCELLED,
    DELIVERED,
    FAILED,
    OPEN_STATUSES,
    PENDING,
    MutationView,
)

T = cast(sa.Table, Mutation.__table__)
COLUMNS = tuple(T.c)


def to_view(row: Any) -> MutationView:
    """A result row (every column of ``mutations``) as a view."""
    return MutationView(
        id=row.id,
        org_id=row.org_id,
        worker_host_id=row.worker_host_id,
        op=row.op,
        params=dict(row.params or {}),
        status=row.status,
        requested_by=row.requested_by,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        cancelled_at=row.cancelled_at,
        applied_at=row.applied_at,
        failure=row.failure,
    )


def _host(worker_host_id: str, org_id: str) -> list[sa.ColumnElement[bool]]:
    # A service acting for a worker may omit the org; the host id alone is then the scope.
    clauses = [T.c.worker_host_id == worker_host_id]
    if org_id:
        clauses.append(T.c.org_id == org_id)
    return clauses


async def insert(session: AsyncSession, view: MutationView) -> None:
    """Store a new pending mutation."""
    await session.execute(
        sa.insert(T).values(
            id=view.id,
            org_id=view.org_id,
            worker_host_id=view.worker_host_id,
            op=view.op,
            params=view.params,
            status=PENDING,
            requested_by=view.requested_by,
            created_at=view.created_at,
        )
    )


async def list_for_host(
    session: AsyncSession, *, org_id: str, worker_host_id: str, limit: int
) -> list[MutationView]:
    """A host's mutations in the org, newest first."""
    rows = await session.execute(
        sa.select(*COLUMNS)
        .where(T.c.org_id == org_id, T.c.worker_host_id == worker_host_id)
        .order_by(T.c.created_at.desc(), T.c.id.desc())
        .limit(limit)
    )
    return [to_view(r) for r in rows]


async def cancel_pending(
    session: AsyncSession, *, org_id: str, mutation_id: str, now: datetime
) -> MutationView | None:
    """Cancel the mutation if it is still pending; None when it is not (or not in the org)."""
    row = (
        await session.execute(
            sa.update(T)
            .where(T.c.id == mutation_id, T.c.org_id == org_id, T.c.status == PENDING)
            .values(status=CANCELLED, cancelled_at=now)
            .returning(*COLUMNS)
        )
    ).first()
    return to_view(row) if row else None


async def status_of(session: AsyncSession, *, org_id: str, mutation_id: str) -> str | None:
    """The status of a mutation of the org, or None when there is no such mutation."""
    value = await session.scalar(sa.select(T.c.status).where(T.c.id == mutation_id, T.c.org_id == org_id))
    return str(value) if value is not None else None


async def mark_applied(
    session: AsyncSession, *, worker_host_id: str, org_id: str, ids: Sequence[str], now: datetime
) -> list[MutationView]:
    """Delivered mutations of the host named in ``ids`` become applied; others are ignored."""
    if not ids:
        return []
    rows = await session.execute(
        sa.update(T)
        .where(*_host(worker_host_id, org_id), T.c.id.in_(list(ids)), T.c.status == DELIVERED)
        .values(status=APPLIED, applied_at=now)
        .returning(*COLUMNS)
    )
    return [to_view(r) for r in rows]


async def mark_failed(
    session: AsyncSession, *, worker_host_id: str, org_id: str, mutation_id: str, error: str, now: datetime
) -> MutationView | None:
    """A delivered mutation of the host becomes failed with ``error``; None when it is not one."""
    row = (
        await session.execute(
            sa.update(T)
            .where(*_host(worker_host_id, org_id), T.c.id == mutation_id, T.c.status == DELIVERED)
            .values(status=FAILED, applied_at=now, failure=error)
            .returning(*COLUMNS)
        )
    ).first()
    return to_view(row) if row else None


async def deliver_pending(
    session: AsyncSession, *, worker_host_id: str, org_id: str, now: datetime
) -> list[MutationView]:
    """Every pending mutation of the host becomes delivered; ``delivered_at`` closes the cancel window."""
    rows = await session.execute(
        sa.update(T)
        .where(*_host(worker_host_id, org_id), T.c.status == PENDING)
        .values(status=DELIVERED, delivered_at=now)
        .returning(*COLUMNS)
    )
    return [to_view(r) for r in rows]


async def unacknowledged(session: AsyncSession, *, worker_host_id: str, org_id: str) -> list[MutationView]:
    """The host's delivered mutations the daemon has not acknowledged yet, oldest first."""
    rows = await session.execute(
        sa.select(*COLUMNS)
        .where(*_host(worker_host_id, org_id), T.c.status == DELIVERED)
        .order_by(T.c.created_at, T.c.id)
    )
    return [to_view(r) for r in rows]


async def open_mutations(session: AsyncSession) -> list[tuple[str, str]]:
    """``(host, mutation id)`` of every pending or delivered-but-unacknowledged mutation."""
    rows = await session.execute(
        sa.select(T.c.worker_host_id, T.c.id)
        .where(T.c.status.in_(OPEN_STATUSES))
        .order_by(T.c.worker_host_id)
    )
    return [(host, mutation_id) for host, mutation_id in rows]
