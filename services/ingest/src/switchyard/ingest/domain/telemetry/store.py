"""Batch writes of decoded telemetry: idempotent, in the caller's transaction.

Spans are unique per ``(org_id, trace_id, span_id)`` and log lines per ``(org_id, dedupe_key)`` (message id
and position), so a redelivered message, or an SDK retrying an export, stores nothing twice. Rows are
written in key order, so consumer replicas writing overlapping batches never deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.ingest.db.models import Dsn, LogRecord, Span
from switchyard.ingest.domain.errors.store import Parsed, store_batch
from switchyard.ingest.domain.telemetry.errors import canonical_of
from switchyard.ingest.domain.telemetry.records import Batch, dedupe_key


# PostgreSQL takes at most 32767 bind parameters per statement; 19 columns x 500 rows stays well under.
@dataclass(frozen=True, slots=True)
class Stored:
    """How many new rows a batch wrote."""

    spans: int
    logs: int
    errors: int = 0


def _span_rows(batches: Sequence[Batch], now: datetime, apps: dict[int, str]) -> list[dict[str, Any]]:
    rows = {
        (b.org_id, s.trace_id, s.span_id): {
            "org_id": b.org_id,
            "project_id": b.project_id,
            "app_id": b.app_id or apps.get(b.project_id, ""),
            "trace_id": s.trace_id,
            "span_id": s.span_id,
            "parent_span_id": s.parent_span_id,
            "service_name": s.service_name,
            "name": s.name,
            "kind": s.kind,
            "start_ns": s.start_ns,
            "end_ns": s.end_ns,
            "duration_ns": s.duration_ns,
            "status_code": s.status_code,
            "status_message": s.status_message,
            "attributes": s.attributes,
            "events": s.events,
            "resource": s.resource,
            "received_at": now,
        }
        for b in batches
        for s in b.spans
    }
    return [rows[k] for k in sorted(rows)]


def _log_rows(batches: Sequence[Batch], now: datetime, apps: dict[int, str]) -> list[dict[str, Any]]:
    rows = {
        (b.org_id, dedupe_key(b.msg_id, r)): {
            "org_id": b.org_id,
            "app_id": r.app_id or b.app_id or apps.get(b.project_id, ""),
            "server_id": r.server_id,
            "source": b.source,
            "ts": r.ts,
            "level": r.level,
            "severity_number": r.severity_number,
            "body": r.body,
            "attributes": r.attributes,
            "trace_id": r.trace_id,
            "span_id": r.span_id,
            "service_name": r.service_name,
            "dedupe_key": dedupe_key(b.msg_id, r),
            "received_at": now,
        }
        for b in batches
        for r in b.logs
    }
    return [rows[k] for k in sorted(rows)]


async def _dsns(session: AsyncSession, batches: Sequence[Batch]) -> dict[int, tuple[str, str]]:
    # The org and app of each sending DSN (the gateway only knows the key's project; the DSN row knows its
    # app). A project whose DSN is gone, or is another org's, gets no error events: group keys are per
    # project, so only the project's own org may add to its groups.
    projects = sorted({b.project_id for b in batches if b.project_id > 0})
    if not projects:
        return {}
    rows = await session.execute(
        select(Dsn.project_id, Dsn.org_id, Dsn.app_id).where(Dsn.project_id.in_(projects))
    )
    return {row.project_id: (row.org_id, row.app_id) for row in rows}


# Built once, executed with the rows as parameters (insertmanyvalues: multi-row VALUES from one cached
# compilation, paged by SQLAlchemy under PostgreSQL's parameter limit), instead of compiling a new
# ``.values(rows)`` statement, in chunks, for every batch.
_SPANS = insert(Span).on_conflict_do_nothing().returning(Span.id)
_LOGS = insert(LogRecord).on_conflict_do_nothing().returning(LogRecord.id)


async def store_telemetry(session: AsyncSession, batches: Sequence[Batch], *, now: datetime) -> Stored:
    """Write the spans and log lines of ``batches``; rows already stored are skipped."""
    spans = logs = 0
    dsns = await _dsns(session, batches)
    apps = {project: app for project, (_, app) in dsns.items()}
    if span_rows := _span_rows(batches, now, apps):
        spans = len((await session.execute(_SPANS, span_rows)).all())
    if log_rows := _log_rows(batches, now, apps):
        logs = len((await session.execute(_LOGS, log_rows)).all())
    # Exception span events join the Sentry side's error groups (event ids derive from the span event, so
    # a resent export adds no event).
    parsed = [
        Parsed(
            msg_id=f"otlp:{b.msg_id}",
            org_id=b.org_id,
            project_id=b.project_id,
            errors=[canonical_of(e) for e in b.exceptions],
        )
        for b in batches
        if b.exceptions and dsns.get(b.project_id, ("", ""))[0] == b.org_id
    ]
    errors = (await store_batch(session, parsed, now=now)).events if parsed else 0
    return Stored(spans=spans, logs=logs, errors=errors)
