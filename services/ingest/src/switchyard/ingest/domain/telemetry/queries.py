"""Trace and log queries, always inside the caller's org (another org's trace ids are NOT_FOUND)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select, text
from sqlalchemy.exc import DBAPIError
from switchyard.grpckit.errors import InvalidArgument, NotFound
from switchyard.grpckit.principal import Principal
from switchyard.ingest.db.models import Dsn, LogRecord, Span
from switchyard.ingest.domain.access import reader_org
from switchyard.ingest.domain.common import limit_of
from switchyard.ingest.domain.context import Deps
from switchyard.ingest.domain.telemetry.records import LEVELS, SOURCE_AGENT, SOURCE_OTLP, normal_level

TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
QUERY_MAX = 200
ID_MAX = 100
# A regular expression that backtracks badly must not hold a connection: the search gives up after this.
SEARCH_TIMEOUT_MS = 5000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class TraceView:
    """One trace's spans by start time."""

    trace_id: str
    spans: list[Span]


@dataclass(frozen=True, slots=True)
class LogFilter:
    """A log search as the caller asked for it (validated by ``TelemetryService.search_logs``)."""

    app_id: str = ""
    start: datetime | None = None
    end: datetime | None = None
    level: str = ""
    query: str = ""
    limit: int = 0
    cursor: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class LogPage:
    """One page of log lines, newest first, and the cursor of the next page ("" on the last)."""

    records: list[LogRecord]
    next_cursor: str


def trace_id_of(value: str, field: str = "traceId") -> str:
    """A trace id in lowercase hex (32 characters)."""
    trace_id = value.strip().lower()
    if not TRACE_ID.match(trace_id):
        raise InvalidArgument(f"{field} must be 32 hex characters", fields={field: "invalid"})
    return trace_id


def encode_cursor(record: LogRecord) -> str:
    """The opaque cursor that resumes after ``record``."""
    micros = (record.ts - EPOCH) // MICRO
    return base64.urlsafe_b64encode(f"{micros}:{record.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (ts, id) a cursor resumes after."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        micros, row_id = (int(part) for part in raw.split(":"))
        return EPOCH + micros * MICRO, row_id
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError, OSError) as exc:
        raise InvalidArgument("cursor is not valid", fields={"cursor": "invalid"}) from exc


def _levels(value: str) -> list[str]:
    names = [part.strip().lower() for part in value.split(",") if part.strip()]
    for name in names:
        if name not in LEVELS and normal_level(name) == "info" and name != "info":
            raise InvalidArgument(f"level must be one of {', '.join(LEVELS)}", fields={"level": "invalid"})
    return sorted({normal_level(n) for n in names})


def _regex(value: str) -> str:
    if len(value) > QUERY_MAX:
        raise InvalidArgument(f"q must be at most {QUERY_MAX} characters", fields={"q": "too long"})
    try:
        re.compile(value)
    except re.error as exc:
        raise InvalidArgument(f"q is not a valid regular expression: {exc}", fields={"q": "invalid"}) from exc
    return value


def _log_select(org: str, flt: LogFilter) -> Select[LogRecord]:
    stmt = select(LogRecord).where(LogRecord.org_id == org)
    if flt.app_id.strip():
        if len(flt.app_id.strip()) > ID_MAX:
            raise InvalidArgument("appId is too long", fields={"appId": "too long"})
        stmt = stmt.where(LogRecord.app_id == flt.app_id.strip())
    if flt.source:
        if flt.source not in (SOURCE_OTLP, SOURCE_AGENT):
            raise InvalidArgument("source must be otlp or agent", fields={"source": "invalid"})
        stmt = stmt.where(LogRecord.source == flt.source)
    if flt.start is not None:
        stmt = stmt.where(LogRecord.ts >= flt.start)
    if flt.end is not None:
        stmt = stmt.where(LogRecord.ts < flt.end)
    if flt.start is not None and flt.end is not None and flt.start > flt.end:
        raise InvalidArgument("from must not be after to", fields={"from": "after to"})
    if levels := _levels(flt.level):
        stmt = stmt.where(LogRecord.level.in_(levels))
    if flt.query:
        stmt = stmt.where(LogRecord.body.regexp_match(_regex(flt.query), flags="i"))
    if flt.cursor:
        ts, row_id = decode_cursor(flt.cursor)
        stmt = stmt.where(or_(LogRecord.ts < ts, and_(LogRecord.ts == ts, LogRecord.id < row_id)))
    return stmt


class TelemetryService:
    """Trace and log queries."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def services(self, *, principal: Principal) -> list[str]:
        """The service names of the org's spans, sorted."""
        org = reader_org(principal)
        async with self._deps.reads() as session:
            rows = await session.scalars(
                select(Span.service_name).where(Span.org_id == org).distinct().order_by(Span.service_name)
            )
            return list(rows)

    async def search_traces(
        self, *, principal: Principal, service: str, operation: str, limit: int
    ) -> list[TraceView]:
        """The org's most recent traces with a span of ``service`` (and ``operation``), newest first."""
        org = reader_org(principal)
        if not service.strip():
            raise InvalidArgument("service is required", fields={"service": "required"})
        size = limit_of(limit, default=20, maximum=100)
        latest = func.max(Span.start_ns)
        ids = select(Span.trace_id, latest).where(Span.org_id == org, Span.service_name == service.strip())
        if operation.strip():
            ids = ids.where(Span.name == operation.strip())
        ids = ids.group_by(Span.trace_id).order_by(latest.desc(), Span.trace_id).limit(size)
        async with self._deps.reads() as session:
            order = [row.trace_id for row in await session.execute(ids)]
            if not order:
                return []
            spans = await session.scalars(
                select(Span)
                .where(Span.org_id == org, Span.trace_id.in_(order))
                .order_by(Span.start_ns, Span.span_id)
            )
            by_trace: dict[str, list[Span]] = {tid: [] for tid in order}
            for span in spans:
                by_trace[span.trace_id].append(span)
        return [TraceView(trace_id=tid, spans=by_trace[tid]) for tid in order]

    async def get_trace(self, *, principal: Principal, trace_id: str) -> TraceView:
        """One trace of the org; NOT_FOUND when it has no span with that id."""
        org = reader_org(principal)
        tid = trace_id_of(trace_id)
        async with self._deps.reads() as session:
            spans = list(
                await session.scalars(
                    select(Span)
                    .where(Span.org_id == org, Span.trace_id == tid)
                    .order_by(Span.start_ns, Span.span_id)
                )
            )
        if not spans:
            raise NotFound("trace not found")
        return TraceView(trace_id=tid, spans=spans)

    async def search_logs(self, *, principal: Principal, flt: LogFilter) -> LogPage:
        """One page of the org's log lines matching ``flt``, newest first.

        An app filter must name an app the org knows (a DSN of the org reports for it, or a stored line
        carries it): another org's app is NOT_FOUND, not an empty page.
        """
        org = reader_org(principal)
        size = limit_of(flt.limit, default=100, maximum=1000)
        stmt = _log_select(org, flt).order_by(LogRecord.ts.desc(), LogRecord.id.desc()).limit(size + 1)
        if flt.app_id.strip():
            await self._require_app(org, flt.app_id.strip())
        async with self._deps.sessions() as session, session.begin():
            await session.execute(text(f"SET LOCAL statement_timeout = {SEARCH_TIMEOUT_MS}"))
            try:
                records = list(await session.scalars(stmt))
            except DBAPIError as exc:
                # PostgreSQL's regex dialect differs from Python's; what it refuses is still bad input.
                if "regular expression" in str(exc.orig):
                    raise InvalidArgument(
                        "q is not a valid regular expression", fields={"q": "invalid"}
                    ) from exc
                if "statement timeout" in str(exc.orig):
                    raise InvalidArgument(
                        "q is too expensive; narrow it", fields={"q": "too expensive"}
                    ) from exc
                raise
        if len(records) > size:
            return LogPage(records=records[:size], next_cursor=encode_cursor(records[size - 1]))
        return LogPage(records=records, next_cursor="")

    async def _require_app(self, org: str, app_id: str) -> None:
        known = select(Dsn.id).where(Dsn.org_id == org, Dsn.app_id == app_id).exists()
        logged = select(LogRecord.id).where(LogRecord.org_id == org, LogRecord.app_id == app_id).exists()
        async with self._deps.reads() as session:
            if not await session.scalar(select(or_(known, logged))):
                raise NotFound("app not found")
