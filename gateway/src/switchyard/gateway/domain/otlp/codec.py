"""OTLP/HTTP bodies: protobuf or OTLP/JSON in, one normalised protobuf out, and the spec's responses.

OTLP/JSON is the proto3 JSON mapping with two deviations the stock parser does not know: trace and span ids
are hex (not base64) and enums are integers. Ids are rewritten to base64 before ``json_format`` parses the
rest; unknown fields are ignored, as the spec requires of receivers. Whatever the request's encoding, the
INGEST stream carries binary protobuf, so the consumer decodes one format.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
TRACES = "traces"
LOGS = "logs"
_REQUESTS: dict[str, type[Message]] = {TRACES: ExportTraceServiceRequest, LOGS: ExportLogsServiceRequest}
_RESPONSES: dict[str, type[Message]] = {TRACES: ExportTraceServiceResponse, LOGS: ExportLogsServiceResponse}
_ID_BYTES = {"traceId": 16, "spanId": 8, "parentSpanId": 8}
_GRPC_CODES = {
    400: code_pb2.INVALID_ARGUMENT,
    401: code_pb2.UNAUTHENTICATED,
    413: code_pb2.RESOURCE_EXHAUSTED,
    415: code_pb2.INVALID_ARGUMENT,
    429: code_pb2.RESOURCE_EXHAUSTED,
    503: code_pb2.UNAVAILABLE,
}


class OtlpError(Exception):
    """A request the door refuses: HTTP status, message and the offending field (for BadRequest)."""

    def __init__(self, status: int, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


@dataclass(frozen=True, slots=True)
class Export:
    """A parsed export: the normalised protobuf body and how many spans or log records it carries."""

    payload: bytes
    items: int


def media_type(content_type: str) -> str:
    """``application/x-protobuf`` or ``application/json``; 415 for anything else."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in (PROTOBUF, JSON):
        raise OtlpError(415, "Content-Type must be application/x-protobuf or application/json")
    return media


def _hex_ids(node: Any, path: str) -> None:
    # Every trace/span id in an OTLP/JSON document, wherever it sits (spans, links, log records).
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else key
            if key in _ID_BYTES and isinstance(value, str):
                node[key] = _b64_of_hex(value, where)
            else:
                _hex_ids(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _hex_ids(value, f"{path}[{i}]")


def _b64_of_hex(value: str, where: str) -> str:
    try:
        raw = bytes.fromhex(value)
    except ValueError as exc:
        raise OtlpError(400, f"{where} must be hex", field=where) from exc
    return base64.b64encode(raw).decode()


def _from_json(body: bytes, message: Message) -> None:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise OtlpError(400, "body is not JSON") from exc
    if not isinstance(document, dict):
        raise OtlpError(400, "body must be a JSON object")
    _hex_ids(document, "")
    try:
        json_format.ParseDict(document, message, ignore_unknown_fields=True)
    except (json_format.ParseError, binascii.Error, ValueError, TypeError) as exc:
        raise OtlpError(400, f"body is not a valid OTLP/JSON export: {str(exc)[:200]}") from exc


def _spans(request: ExportTraceServiceRequest) -> Iterator[tuple[str, Any]]:
    for r, resource_spans in enumerate(request.resource_spans):
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            for i, span in enumerate(scope_spans.spans):
                yield f"resourceSpans[{r}].scopeSpans[{s}].spans[{i}]", span


def _check_spans(request: ExportTraceServiceRequest) -> int:
    count = 0
    for where, span in _spans(request):
        if len(span.trace_id) != 16 or not any(span.trace_id):
            raise OtlpError(400, f"{where}.traceId must be 16 non-zero bytes", field=f"{where}.traceId")
        if len(span.span_id) != 8 or not any(span.span_id):
            raise OtlpError(400, f"{where}.spanId must be 8 non-zero bytes", field=f"{where}.spanId")
        if span.parent_span_id and len(span.parent_span_id) != 8:
            raise OtlpError(400, f"{where}.parentSpanId must be 8 bytes", field=f"{where}.parentSpanId")
        count += 1
    return count


def _count_logs(request: ExportLogsServiceRequest) -> int:
    return sum(len(scope.log_records) for resource in request.resource_logs for scope in resource.scope_logs)


def parse_export(signal: str, media: str, body: bytes) -> Export:
    """Parse and check an export of ``signal`` (traces or logs) in ``media``; 400 on bad data."""
    message = _REQUESTS[signal]()
    if media == JSON:
        _from_json(body, message)
    else:
        try:
            message.ParseFromString(body)
        except DecodeError as exc:
            raise OtlpError(400, f"body is not a protobuf {message.DESCRIPTOR.name}") from exc
    checked = _check_spans if isinstance(message, ExportTraceServiceRequest) else _count_logs
    items = checked(message)  # type: ignore[arg-type]
    return Export(payload=message.SerializeToString(), items=items)


def success_body(signal: str, media: str) -> bytes:
    """The empty Export<signal>ServiceResponse in the request's encoding."""
    response = _RESPONSES[signal]()
    if media == JSON:
        return json.dumps(json_format.MessageToDict(response)).encode()
    return response.SerializeToString()


def error_body(error: OtlpError, media: str) -> bytes:
    """A google.rpc.Status in the request's encoding (JSON also carries our ``error`` field)."""
    status = status_pb2.Status(code=_GRPC_CODES.get(error.status, code_pb2.UNKNOWN), message=error.message)
    if error.field:
        detail = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=error.field, description=error.message)
            ]
        )
        status.details.add().Pack(detail)
    if media == JSON:
        return json.dumps({"error": error.message, "code": status.code, "message": error.message}).encode()
    encoded: bytes = status.SerializeToString()
    return encoded
