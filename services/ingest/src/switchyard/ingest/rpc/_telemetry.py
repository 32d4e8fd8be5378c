"""Trace and log query RPCs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.grpckit.principal import get_principal
from switchyard.ingest.db.models import LogRecord, Span
from switchyard.ingest.domain.telemetry.queries import LogFilter, TraceView
from switchyard.ingest.rpc._context import Base, Context
from switchyard.ingest.rpc._mapping import ts
from switchyard.ingest.v1 import telemetry_pb2 as pb


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _span(row: Span) -> pb.Span:
    return pb.Span(
        trace_id=row.trace_id,
        span_id=row.span_id,
        parent_span_id=row.parent_span_id,
        service_name=row.service_name,
        name=row.name,
        kind=row.kind,
        start_time_unix_nano=row.start_ns,
        end_time_unix_nano=row.end_ns,
        duration_nano=row.duration_ns,
        status_code=row.status_code,
        status_message=row.status_message,
        attributes_json=_json(row.attributes),
        events_json=_json(row.events),
        resource_json=_json(row.resource),
        app_id=row.app_id,
    )


def _trace(view: TraceView) -> pb.Trace:
    return pb.Trace(trace_id=view.trace_id, spans=[_span(s) for s in view.spans])


def _log(row: LogRecord) -> pb.LogRecord:
    return pb.LogRecord(
        id=str(row.id),
        app_id=row.app_id,
        source=row.source,
        time=ts(row.ts),
        level=row.level,
        severity_number=row.severity_number,
        body=row.body,
        attributes_json=_json(row.attributes),
        trace_id=row.trace_id,
        span_id=row.span_id,
        service_name=row.service_name,
        server_id=row.server_id,
    )


def _when(request: pb.SearchLogsRequest, field: str) -> datetime | None:
    # "from" is a Python keyword: the fields are read by name.
    if not request.HasField(field):
        return None
    value: Timestamp = getattr(request, field)
    return value.ToDatetime(tzinfo=UTC)


class TelemetryRpc(Base):
    """ListTraceServices, SearchTraces, GetTrace, SearchLogs."""

    async def ListTraceServices(
        self, request: pb.ListTraceServicesRequest, context: Context
    ) -> pb.ListTraceServicesResponse:
        """The org's span service names."""
        names = await self._s.telemetry.services(principal=get_principal())
        return pb.ListTraceServicesResponse(services=names)

    async def SearchTraces(
        self, request: pb.SearchTracesRequest, context: Context
    ) -> pb.SearchTracesResponse:
        """Recent traces of a service (and operation)."""
        views = await self._s.telemetry.search_traces(
            principal=get_principal(),
            service=request.service,
            operation=request.operation,
            limit=request.limit,
        )
        return pb.SearchTracesResponse(traces=[_trace(v) for v in views])

    async def GetTrace(self, request: pb.GetTraceRequest, context: Context) -> pb.GetTraceResponse:
        """One trace."""
        view = await self._s.telemetry.get_trace(principal=get_principal(), trace_id=request.trace_id)
        return pb.GetTraceResponse(trace=_trace(view))

    async def SearchLogs(self, request: pb.SearchLogsRequest, context: Context) -> pb.SearchLogsResponse:
        """One page of log lines."""
        flt = LogFilter(
            app_id=request.app_id,
            start=_when(request, "from"),
            end=_when(request, "to"),
            level=request.level,
            query=request.query,
            limit=request.limit,
            cursor=request.cursor,
            source=request.source,
        )
        page = await self._s.telemetry.search_logs(principal=get_principal(), flt=flt)
        return pb.SearchLogsResponse(records=[_log(r) for r in page.records], next_cursor=page.next_cursor)
