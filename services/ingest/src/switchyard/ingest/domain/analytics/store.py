"""Writes captured events: one multi-row insert per batch, duplicates (same org and uuid) skipped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.ingest.db.models import AnalyticsEvent, Dsn
from switchyard.ingest.domain.analytics.capture import CapturedEvent


@dataclass(frozen=True, slots=True)
class Capture:
    """The events of one JetStream message and where they came from (the DSN the gateway resolved)."""

    org_id: str
    dsn_id: str
    received_at: datetime
    events: list[CapturedEvent]


# Built once, executed with the rows as parameters (insertmanyvalues): one cached compilation.
_INSERT = (
    insert(AnalyticsEvent)
    .on_conflict_do_nothing(index_elements=["org_id", "uuid"])
    .returning(AnalyticsEvent.id)
)


async def _apps(session: AsyncSession, dsn_ids: set[str]) -> dict[str, str]:
    # The app is the DSN's at store time; a DSN deleted since the request leaves the events app-less.
    rows = await session.execute(select(Dsn.id, Dsn.app_id).where(Dsn.id.in_(dsn_ids)))
    return {dsn_id: app_id for dsn_id, app_id in rows}


async def store_captures(session: AsyncSession, captures: list[Capture]) -> int:
    """Insert every event of ``captures`` in the caller's transaction; returns how many were new."""
    apps = await _apps(session, {c.dsn_id for c in captures})
    rows = [
        {
            "org_id": c.org_id,
            "app_id": apps.get(c.dsn_id, ""),
            "dsn_id": c.dsn_id,
            "uuid": e.uuid,
            "event": e.event,
            "distinct_id": e.distinct_id,
            "properties": e.properties,
            "ts": e.ts,
            "received_at": c.received_at,
        }
        for c in captures
        for e in c.events
    ]
    if not rows:
        return 0
    result = await session.execute(_INSERT, rows)
    return len(result.all())
