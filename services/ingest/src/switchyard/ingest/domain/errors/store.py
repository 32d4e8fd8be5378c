"""Batch writes of parsed ingest messages: idempotent, one transaction per batch.

A message id already in ``processed_messages`` is skipped whole, so a redelivered message counts nothing
twice; events are unique per ``(project_id, event_id)`` besides, so an SDK resending an event stores it once.
Rows are written in key order, so consumer replicas writing overlapping batches never deadlock.

The inserts are Core statements on the tables executed with the batch as parameter sets: SQLAlchemy's
"insertmanyvalues" sends them as multi-row VALUES from one cached compilation. ``.values(rows)`` would
compile a new statement for every batch (its bind parameters depend on the row count), which cost the
consumer more CPU than everything else it does per event.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, case, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.ingest.db.models import Dsn, ErrorEvent, ErrorGroup, ItemCount
from switchyard.ingest.domain import ledger
from switchyard.ingest.domain.errors.canonical import CanonicalError


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one ingest message carries once parsed: error events and counts of the other item types."""

    msg_id: str
    org_id: str
    project_id: int
    errors: list[CanonicalError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Stored:
    """What a batch wrote."""

    messages: int
    events: int


def _table(model: Any) -> Table:
    return cast("Table", model.__table__)


def _frames_json(error: CanonicalError) -> list[dict[str, object]]:
    return [
        {
            "type": e.type,
            "value": e.value,
            "module": e.module,
            "frames": [dataclasses.asdict(f) for f in e.frames],
        }
        for e in error.exceptions
    ]


async def _fresh(session: AsyncSession, batch: list[Parsed], now: datetime) -> list[Parsed]:
    unique = {p.msg_id: p for p in batch}
    fresh = await ledger.claim(session, unique, now=now)
    # Stream order, so a new group takes its title from its first event.
    return [p for m, p in unique.items() if m in fresh]


async def _owned(session: AsyncSession, fresh: list[Parsed]) -> list[Parsed]:
    # Group keys are per project: only messages whose project's DSN belongs to the message's org may add to
    # its groups or counts. A message of a deleted DSN, or one naming another org's project (a replayed
    # message, a stale key cache), is marked processed and dropped.
    projects = sorted({p.project_id for p in fresh})
    if not projects:
        return fresh
    rows = await session.execute(select(Dsn.project_id, Dsn.org_id).where(Dsn.project_id.in_(projects)))
    owners = {row.project_id: row.org_id for row in rows}
    return [p for p in fresh if owners.get(p.project_id) == p.org_id]


async def _groups(
    session: AsyncSession, errors: list[tuple[Parsed, CanonicalError]]
) -> dict[tuple[int, str], str]:
    firsts: dict[tuple[int, str], tuple[Parsed, CanonicalError]] = {}
    for parsed, error in errors:
        firsts.setdefault((parsed.project_id, error.fingerprint), (parsed, error))
    rows = [
        {
            "id": str(uuid.uuid4()),
            "org_id": parsed.org_id,
            "project_id": key[0],
            "fingerprint": key[1],
            "title": error.title,
            "culprit": error.culprit,
            "level": error.level,
            "platform": error.platform,
            "status": "unresolved",
            "event_count": 0,
            "first_seen": error.occurred_at,
            "last_seen": error.occurred_at,
        }
        for key, (parsed, error) in sorted(firsts.items())
    ]
    table = _table(ErrorGroup)
    stmt = insert(table)
    # A no-op update so RETURNING also yields the ids of groups that already exist.
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.c.project_id, table.c.fingerprint],
        set_={"fingerprint": stmt.excluded.fingerprint},
    ).returning(table.c.project_id, table.c.fingerprint, table.c.id)
    result = await session.execute(upsert, rows)
    return {(row.project_id, row.fingerprint): row.id for row in result}


async def _events(
    session: AsyncSession,
    errors: list[tuple[Parsed, CanonicalError]],
    groups: dict[tuple[int, str], str],
    now: datetime,
) -> Counter[str]:
    unique = {(p.project_id, e.event_id): (p, e) for p, e in errors}
    rows = [
        {
            "org_id": parsed.org_id,
            "project_id": parsed.project_id,
            "event_id": error.event_id,
            "group_id": groups[(parsed.project_id, error.fingerprint)],
            "level": error.level,
            "message": error.message,
            "platform": error.platform,
            "release": error.release,
            "environment": error.environment,
            "exceptions": _frames_json(error),
            "tags": error.tags,
            "occurred_at": error.occurred_at,
            "received_at": now,
        }
        for _, (parsed, error) in sorted(unique.items())
    ]
    table = _table(ErrorEvent)
    result = await session.execute(insert(table).on_conflict_do_nothing().returning(table.c.group_id), rows)
    return Counter(result.scalars())


async def _bump_groups(
    session: AsyncSession,
    added: Counter[str],
    errors: list[tuple[Parsed, CanonicalError]],
    groups: dict[tuple[int, str], str],
) -> None:
    latest: dict[str, datetime] = {}
    for parsed, error in errors:
        gid = groups[(parsed.project_id, error.fingerprint)]
        latest[gid] = max(latest.get(gid, error.occurred_at), error.occurred_at)
    for gid in sorted(added):
        await session.execute(
            update(ErrorGroup)
            .where(ErrorGroup.id == gid)
            .values(
                event_count=ErrorGroup.event_count + added[gid],
                last_seen=func.greatest(ErrorGroup.last_seen, latest[gid]),
                # A new event of a resolved group is a regression; ignored groups stay ignored.
                status=case((ErrorGroup.status == "resolved", "unresolved"), else_=ErrorGroup.status),
            )
        )


_COUNTS = insert(ItemCount)
# Built once (see the module note): adds each (project, item type) total to the stored one.
_ADD_COUNTS = _COUNTS.on_conflict_do_update(
    index_elements=[ItemCount.project_id, ItemCount.item_type],
    set_={"count": ItemCount.count + _COUNTS.excluded.count, "updated_at": _COUNTS.excluded.updated_at},
)


async def _counts(session: AsyncSession, fresh: list[Parsed], now: datetime) -> None:
    totals: Counter[tuple[int, str]] = Counter()
    orgs: dict[int, str] = {}
    for parsed in fresh:
        orgs[parsed.project_id] = parsed.org_id
        for kind, n in parsed.counts.items():
            totals[(parsed.project_id, kind)] += n
    if not totals:
        return
    rows = [
        {"project_id": p, "item_type": k, "org_id": orgs[p], "count": n, "updated_at": now}
        for (p, k), n in sorted(totals.items())
    ]
    await session.execute(_ADD_COUNTS, rows)


async def store_batch(session: AsyncSession, batch: list[Parsed], *, now: datetime) -> Stored:
    """Write a batch in the caller's transaction; messages already processed are skipped."""
    if not batch:
        return Stored(0, 0)
    fresh = await _owned(session, await _fresh(session, batch, now))
    errors = [(p, e) for p in fresh for e in p.errors]
    events = 0
    if errors:
        groups = await _groups(session, errors)
        added = await _events(session, errors, groups, now)
        await _bump_groups(session, added, errors, groups)
        events = sum(added.values())
    await _counts(session, fresh, now)
    return Stored(messages=len(fresh), events=events)
