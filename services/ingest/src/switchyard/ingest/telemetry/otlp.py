"""OTLP export requests (protobuf, as the gateway publishes them) decoded into the domain's rows."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PbSpan
from switchyard.ingest.domain.sentry.envelope import Malformed
from switchyard.ingest.domain.telemetry.records import (
    NAME_MAX,
    SOURCE_OTLP,
    UNKNOWN_SERVICE,
    Batch,
    LogRow,
    SpanRow,
    from_unix_nano,
    level_of,
    span_exceptions,
    text,
)

# Headers the gateway sets on every ingest message (the Sentry side uses the same names).
ORG_HEADER = "Ingest-Org-Id"
PROJECT_HEADER = "Ingest-Project-Id"
APP_HEADER = "Ingest-App-Id"
KIND_HEADER = "Ingest-Kind"
RECEIVED_HEADER = "Ingest-Received-At"
KIND_TRACES = "otlp-traces"
KIND_LOGS = "otlp-logs"
ATTRIBUTES_MAX = 128
DEPTH_MAX = 8


def any_value(value: AnyValue, depth: int = 0) -> Any:
    """An OTLP AnyValue as a plain JSON value (bytes as base64 text)."""
    kind = value.WhichOneof("value")
    if kind is None or depth > DEPTH_MAX:
        return None
    if kind == "string_value":
        return text(value.string_value)
    if kind == "array_value":
        return [any_value(v, depth + 1) for v in value.array_value.values[:ATTRIBUTES_MAX]]
    if kind == "kvlist_value":
        return attributes(value.kvlist_value.values, depth + 1)
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return getattr(value, kind)


def attributes(pairs: Iterable[KeyValue], depth: int = 0) -> dict[str, Any]:
    """OTLP attributes as a JSON object (the first ``ATTRIBUTES_MAX`` keys)."""
    result: dict[str, Any] = {}
    for pair in pairs:
        if len(result) >= ATTRIBUTES_MAX:
            break
        result[text(pair.key, 200)] = any_value(pair.value, depth)
    return result


def _service(resource: dict[str, Any]) -> str:
    name = resource.get("service.name")
    return text(name, 200) if isinstance(name, str) and name else UNKNOWN_SERVICE


def _span(span: PbSpan, service: str, resource: dict[str, Any]) -> SpanRow:
    return SpanRow(
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_span_id=span.parent_span_id.hex(),
        service_name=service,
        name=text(span.name, NAME_MAX),
        kind=int(span.kind),
        start_ns=int(span.start_time_unix_nano),
        end_ns=int(span.end_time_unix_nano),
        status_code=int(span.status.code),
        status_message=text(span.status.message, 2000),
        attributes=attributes(span.attributes),
        events=[
            {
                "name": text(e.name, NAME_MAX),
                "timeUnixNano": int(e.time_unix_nano),
                "attributes": attributes(e.attributes),
            }
            for e in span.events[:ATTRIBUTES_MAX]
        ],
        resource=resource,
    )


def decode_spans(body: bytes) -> list[SpanRow]:
    """The spans of an ExportTraceServiceRequest; spans without valid ids are dropped."""
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise Malformed("body is not an ExportTraceServiceRequest") from exc
    rows: list[SpanRow] = []
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        service = _service(resource)
        for scope_spans in resource_spans.scope_spans:
            rows.extend(
                _span(s, service, resource)
                for s in scope_spans.spans
                if len(s.trace_id) == 16 and len(s.span_id) == 8 and any(s.trace_id) and any(s.span_id)
            )
    return rows


def _body(value: AnyValue) -> str:
    plain = any_value(value)
    if plain is None:
        return ""
    return plain if isinstance(plain, str) else text(json.dumps(plain, separators=(",", ":")))


def decode_logs(body: bytes, received_at: datetime) -> list[LogRow]:
    """The log records of an ExportLogsServiceRequest, in order."""
    request = ExportLogsServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise Malformed("body is not an ExportLogsServiceRequest") from exc
    rows: list[LogRow] = []
    for resource_logs in request.resource_logs:
        service = _service(attributes(resource_logs.resource.attributes))
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                when = record.time_unix_nano or record.observed_time_unix_nano
                rows.append(
                    LogRow(
                        position=len(rows),
                        ts=from_unix_nano(int(when), received_at),
                        level=level_of(int(record.severity_number), record.severity_text),
                        severity_number=int(record.severity_number),
                        body=_body(record.body),
                        attributes=attributes(record.attributes),
                        trace_id=record.trace_id.hex() if len(record.trace_id) == 16 else "",
                        span_id=record.span_id.hex() if len(record.span_id) == 8 else "",
                        service_name=service,
                    )
                )
    return rows


def _received_at(headers: Mapping[str, str], now: datetime) -> datetime:
    try:
        return datetime.fromisoformat(headers[RECEIVED_HEADER]).astimezone(UTC)
    except (KeyError, ValueError):
        return now


def decode_message(*, msg_id: str, headers: Mapping[str, str], body: bytes, now: datetime) -> Batch:
    """One OTLP message of the INGEST stream as a batch of rows.

    Exception events of spans also leave an error line in the log store (until they are wired into the
    error groups, it is where they are searchable).

    Raises:
        Malformed: The message can never be stored.
    """
    org = headers.get(ORG_HEADER, "")
    if not org:
        raise Malformed(f"missing {ORG_HEADER} header")
    try:
        project = int(headers.get(PROJECT_HEADER) or 0)
    except ValueError as exc:
        raise Malformed(f"bad {PROJECT_HEADER} header") from exc
    received_at = _received_at(headers, now)
    app = headers.get(APP_HEADER, "")
    kind = headers.get(KIND_HEADER, "")
    if kind == KIND_TRACES:
        spans = decode_spans(body)
        exceptions = span_exceptions(spans, received_at)
        return Batch(
            msg_id=msg_id,
            org_id=org,
            source=SOURCE_OTLP,
            project_id=project,
            app_id=app,
            spans=spans,
            exceptions=exceptions,
        )
    if kind == KIND_LOGS:
        logs = decode_logs(body, received_at)
        return Batch(msg_id=msg_id, org_id=org, source=SOURCE_OTLP, project_id=project, app_id=app, logs=logs)
    raise Malformed(f"unknown {KIND_HEADER} {kind!r}")
