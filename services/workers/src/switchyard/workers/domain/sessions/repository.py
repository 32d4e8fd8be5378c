"""Persistence of sessions and their activities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.workers.db.models import Activity, Session
from switchyard.workers.domain.sessions.fsm import CLAIMED, PENDING
from switchyard.workers.domain.sessions.hashes import guide_hash, spec_hash
from switchyard.workers.domain.sessions.models import NewSession, SessionView


def to_view(row: Session) -> SessionView:
    """The domain view of a row."""
    return SessionView(
        id=row.id,
        org_id=row.org_id,
        issue_id=row.issue_id,
        issue_identifier=row.issue_identifier,
        status=row.status,
        priority=row.priority,
        prompt=row.prompt,
        work_type=row.work_type,
        project_id=row.project_id,
        project_name=row.project_name,
        repository=row.repository,
        extras=dict(row.extras or {}),
        worker_id=row.worker_id or "",
        provider_session_id=row.provider_session_id,
        worktree_path=row.worktree_path,
        error_message=row.error_message,
        agent_id=row.agent_id,
        provider=row.provider,
        total_cost_usd=row.total_cost_usd,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        last_tool_name=row.last_tool_name,
        last_tool_called_at=row.last_tool_called_at,
        tool_call_count=row.tool_call_count,
        queued_at=row.queued_at,
        claimed_at=row.claimed_at,
        finished_at=row.finished_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def add_session(
    session: AsyncSession, *, new: NewSession, session_id: str, org_id: str, by: str, now: datetime
) -> Session:
    """Insert a pending session in the caller's transaction."""
    row = Session(
        id=session_id,
        org_id=org_id,
        issue_id=new.issue_id,
        issue_identifier=new.issue_identifier,
        status=PENDING,
        priority=new.priority,
        prompt=new.prompt,
        work_type=new.work_type,
        project_id=new.project_id,
        project_name=new.project_name,
        repository=new.repository,
        extras=new.extras,
        worker_id=None,
        provider_session_id="",
        worktree_path="",
        error_message="",
        agent_id="",
        provider="",
        total_cost_usd=0.0,
        input_tokens=0,
        output_tokens=0,
        last_tool_name="",
        last_tool_called_at=None,
        tool_call_count=0,
        created_by=by,
        queued_at=now,
        claimed_at=None,
        finished_at=None,
        created_at=now,
        updated_at=now,
        spec_hash=spec_hash(session_id),
        guide_hash=guide_hash(session_id),
        reset_count=0,
    )
    session.add(row)
    return row


async def get(session: AsyncSession, session_id: str, *, lock: bool = False) -> Session | None:
    """One session, row-locked when ``lock`` so concurrent transitions serialise."""
    query = select(Session).where(Session.id == session_id)
    if lock:
        query = query.with_for_update()
    row: Session | None = await session.scalar(query)
    return row


async def pending_page(
    session: AsyncSession, *, after_id: str, updated_before: datetime, limit: int
) -> list[Session]:
    """Pending sessions untouched since ``updated_before``, by id after ``after_id`` (keyset pages)."""
    rows = await session.scalars(
        select(Session)
        .where(Session.status == PENDING, Session.id > after_id, Session.updated_at < updated_before)
        .order_by(Session.id)
        .limit(limit)
    )
    return list(rows)


async def get_many(session: AsyncSession, ids: Sequence[str]) -> dict[str, Session]:
    """Sessions by id (missing ids are absent)."""
    rows = await session.scalars(select(Session).where(Session.id.in_(list(ids))))
    return {row.id: row for row in rows}


async def claim(session: AsyncSession, *, ids: Sequence[str], worker_id: str, now: datetime) -> list[Session]:
    """pending -> claimed for every id still pending; a session taken meanwhile is skipped."""
    rows = await session.scalars(
        update(Session)
        .where(Session.id.in_(list(ids)), Session.status == PENDING)
        .values(status=CLAIMED, worker_id=worker_id, claimed_at=now, updated_at=now)
        .returning(Session)
        .execution_options(synchronize_session=False)
    )
    return list(rows)


async def unclaim(
    session: AsyncSession, *, worker_id: str, ids: Sequence[str], now: datetime
) -> list[Session]:
    """claimed -> pending for the worker's claimed sessions among ``ids``."""
    rows = await session.scalars(
        update(Session)
        .where(Session.id.in_(list(ids)), Session.worker_id == worker_id, Session.status == CLAIMED)
        .values(status=PENDING, worker_id=None, claimed_at=None, updated_at=now)
        .returning(Session)
        .execution_options(synchronize_session=False)
    )
    return list(rows)


def add_activity(
    session: AsyncSession,
    *,
    row: Session,
    worker_id: str,
    kind: str,
    now: datetime,
    **values: Any,
) -> None:
    """Record an activity, progress milestone or completion part."""
    session.add(
        Activity(
            session_id=row.id,
            org_id=row.org_id,
            worker_id=worker_id,
            kind=kind,
            type=values.get("type", ""),
            content=values.get("content", ""),
            tool_name=values.get("tool_name", ""),
            data=values.get("data", {}),
            part=values.get("part", 0),
            total_parts=values.get("total_parts", 0),
            occurred_at=values.get("occurred_at") or now,
            created_at=now,
        )
    )
