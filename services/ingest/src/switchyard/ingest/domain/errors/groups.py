"""Error groups: list, read with recent events, and triage status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from switchyard.grpckit.errors import InvalidArgument, NotFound
from switchyard.grpckit.principal import Principal
from switchyard.ingest.db.models import ErrorEvent, ErrorGroup
from switchyard.ingest.domain.access import reader_org, writer_org
from switchyard.ingest.domain.common import limit_of
from switchyard.ingest.domain.context import Deps

STATUSES = ("unresolved", "resolved", "ignored")


@dataclass(frozen=True, slots=True)
class GroupView:
    """An error group as callers see it."""

    id: str
    org_id: str
    project_id: int
    fingerprint: str
    title: str
    culprit: str
    level: str
    platform: str
    status: str
    event_count: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class EventView:
    """A stored error event in its canonical form."""

    event_id: str
    group_id: str
    project_id: int
    level: str
    message: str
    platform: str
    release: str
    environment: str
    exceptions: list[dict[str, Any]]
    tags: dict[str, Any]
    occurred_at: datetime
    received_at: datetime


def _group(row: ErrorGroup) -> GroupView:
    return GroupView(
        id=row.id,
        org_id=row.org_id,
        project_id=row.project_id,
        fingerprint=row.fingerprint,
        title=row.title,
        culprit=row.culprit,
        level=row.level,
        platform=row.platform,
        status=row.status,
        event_count=row.event_count,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
    )


def _event(row: ErrorEvent) -> EventView:
    return EventView(
        event_id=row.event_id,
        group_id=row.group_id,
        project_id=row.project_id,
        level=row.level,
        message=row.message,
        platform=row.platform,
        release=row.release,
        environment=row.environment,
        exceptions=row.exceptions,
        tags=row.tags,
        occurred_at=row.occurred_at,
        received_at=row.received_at,
    )


def status_of(value: str, field: str = "status") -> str:
    """A triage status name."""
    if value not in STATUSES:
        raise InvalidArgument(f"{field} must be one of {', '.join(STATUSES)}", fields={field: "invalid"})
    return value


class GroupService:
    """Error group use cases."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def find(
        self, *, principal: Principal, status: str, project_id: int, limit: int
    ) -> list[GroupView]:
        """The org's groups, most recently seen first."""
        org = reader_org(principal)
        query = select(ErrorGroup).where(ErrorGroup.org_id == org)
        if status:
            query = query.where(ErrorGroup.status == status_of(status))
        if project_id:
            query = query.where(ErrorGroup.project_id == project_id)
        query = query.order_by(ErrorGroup.last_seen.desc(), ErrorGroup.id).limit(limit_of(limit, default=100))
        async with self._deps.reads() as session:
            return [_group(r) for r in await session.scalars(query)]

    async def _owned(self, org: str, group_id: str) -> ErrorGroup:
        async with self._deps.reads() as session:
            row = await session.scalar(
                select(ErrorGroup).where(ErrorGroup.id == group_id.strip(), ErrorGroup.org_id == org)
            )
        if row is None:
            raise NotFound("error group not found")
        return row

    async def events(self, *, principal: Principal, group_id: str, limit: int) -> list[EventView]:
        """A group's events, newest first."""
        org = reader_org(principal)
        group = await self._owned(org, group_id)
        query = (
            select(ErrorEvent)
            .where(ErrorEvent.group_id == group.id)
            .order_by(ErrorEvent.received_at.desc(), ErrorEvent.id.desc())
            .limit(limit_of(limit, default=50))
        )
        async with self._deps.reads() as session:
            return [_event(r) for r in await session.scalars(query)]

    async def get(self, *, principal: Principal, group_id: str) -> tuple[GroupView, EventView | None]:
        """One group and its latest event."""
        org = reader_org(principal)
        group = await self._owned(org, group_id)
        latest = await self.events(principal=principal, group_id=group.id, limit=1)
        return _group(group), (latest[0] if latest else None)

    async def set_status(self, *, principal: Principal, group_id: str, status: str) -> GroupView:
        """Change a group's triage status."""
        org = writer_org(principal)
        value = status_of(status)
        async with self._deps.sessions() as session, session.begin():
            row = await session.scalar(
                update(ErrorGroup)
                .where(ErrorGroup.id == group_id.strip(), ErrorGroup.org_id == org)
                .values(status=value)
                .returning(ErrorGroup)
            )
            if row is None:
                raise NotFound("error group not found")
            return _group(row)
