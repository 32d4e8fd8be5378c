"""Stored spans and log lines in the shapes the query routes answer: Jaeger's trace JSON and log pages."""

from __future__ import annotations

import json
from typing import Any

from switchyard.gateway.schema import CamelStruct
from switchyard.ingest.v1 import telemetry_pb2 as tpb

# OTLP SpanKind numbers as the span.kind tag Jaeger shows.
_KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_STATUS = {1: "OK", 2: "ERROR"}


class LogLine(CamelStruct):
    """One stored log line."""

    id: str
    app_id: str
    server_id: str
    source: str
    time: str
    level: str
    severity_number: int
    body: str
    attributes: dict[str, Any]
    trace_id: str
    span_id: str
    service: str


class LogPage(CamelStruct):
    """A page of log lines, newest first; ``nextCursor`` is empty on the last page."""

    data: list[LogLine]
    next_cursor: str


def _tag(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "type": "bool", "value": value}
    if isinstance(value, int):
        return {"key": key, "type": "int64", "value": value}
    if isinstance(value, float):
        return {"key": key, "type": "float64", "value": value}
    if isinstance(value, str):
        return {"key": key, "type": "string", "value": value}
    return {"key": key, "type": "string", "value": json.dumps(value, separators=(",", ":"))}


def _tags(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    return [_tag(k, v) for k, v in attributes.items()]


def _span_tags(span: tpb.Span) -> list[dict[str, Any]]:
    tags = _tags(json.loads(span.attributes_json or "{}"))
    if span.kind in _KINDS:
        tags.append(_tag("span.kind", _KINDS[span.kind]))
    if span.status_code in _STATUS:
        tags.append(_tag("otel.status_code", _STATUS[span.status_code]))
        if span.status_code == 2:
            tags.append(_tag("error", True))
    if span.status_message:
        tags.append(_tag("otel.status_description", span.status_message))
    return tags


def _logs(span: tpb.Span) -> list[dict[str, Any]]:
    return [
        {
            "timestamp": int(event.get("timeUnixNano") or 0) // 1000,
            "fields": [_tag("event", event.get("name", "")), *_tags(event.get("attributes") or {})],
        }
        for event in json.loads(span.events_json or "[]")
    ]


def jaeger_trace(trace: tpb.Trace) -> dict[str, Any]:
    """One trace in Jaeger's JSON shape: spans by start time, one process per service and resource."""
    processes: dict[str, dict[str, Any]] = {}
    process_of: dict[tuple[str, str], str] = {}
    spans = []
    for span in trace.spans:
        key = (span.service_name, span.resource_json)
        if key not in process_of:
            process_of[key] = f"p{len(process_of) + 1}"
            resource = json.loads(span.resource_json or "{}")
            resource.pop("service.name", None)
            processes[process_of[key]] = {"serviceName": span.service_name, "tags": _tags(resource)}
        references = (
            [{"refType": "CHILD_OF", "traceID": span.trace_id, "spanID": span.parent_span_id}]
            if span.parent_span_id
            else []
        )
        spans.append(
            {
                "traceID": span.trace_id,
                "spanID": span.span_id,
                "operationName": span.name,
                "references": references,
                "startTime": span.start_time_unix_nano // 1000,
                "duration": span.duration_nano // 1000,
                "tags": _span_tags(span),
                "logs": _logs(span),
                "processID": process_of[key],
                "warnings": None,
            }
        )
    return {"traceID": trace.trace_id, "spans": spans, "processes": processes, "warnings": None}


def log_line(record: tpb.LogRecord) -> LogLine:
    """A stored log line as the API shows it."""
    return LogLine(
        id=record.id,
        app_id=record.app_id,
        server_id=record.server_id,
        source=record.source,
        time=record.time.ToJsonString(),
        level=record.level,
        severity_number=record.severity_number,
        body=record.body,
        attributes=json.loads(record.attributes_json or "{}"),
        trace_id=record.trace_id,
        span_id=record.span_id,
        service=record.service_name,
    )
