"""The OTLP/HTTP codec: OTLP/JSON with hex ids to protobuf, checks of ids, and the spec's response bodies."""

from __future__ import annotations

import json

import pytest
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from switchyard.gateway.domain.otlp import codec

pytestmark = pytest.mark.unit

TRACE, SPAN, PARENT = "5B8EFFF798038103D269B633813FC60C", "eee19b7ec3c1b174", "eee19b7ec3c1b173"


def _document(**span: object) -> bytes:
    body = {"traceId": TRACE, "spanId": SPAN, "parentSpanId": PARENT, "name": "op", "kind": 3, **span}
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [body]}], "unknown": 1}]}).encode()


def test_otlp_json_hex_ids_and_integer_enums_become_the_protobuf_export() -> None:
    parsed = codec.parse_export(
        codec.TRACES, codec.JSON, _document(links=[{"traceId": TRACE, "spanId": SPAN}])
    )
    assert parsed.items == 1
    span = ExportTraceServiceRequest.FromString(parsed.payload).resource_spans[0].scope_spans[0].spans[0]
    assert (span.trace_id.hex(), span.span_id.hex(), span.parent_span_id.hex()) == (
        TRACE.lower(),
        SPAN,
        PARENT,
    )
    assert span.kind == 3
    assert span.links[0].trace_id.hex() == TRACE.lower()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_document(traceId="xyz"), "resourceSpans[0].scopeSpans[0].spans[0].traceId"),
        (_document(spanId="00" * 8), "resourceSpans[0].scopeSpans[0].spans[0].spanId"),
        (_document(traceId="ab" * 8), "resourceSpans[0].scopeSpans[0].spans[0].traceId"),
    ],
)
def test_bad_ids_are_400_naming_the_field(body: bytes, field: str) -> None:
    with pytest.raises(codec.OtlpError) as info:
        codec.parse_export(codec.TRACES, codec.JSON, body)
    assert (info.value.status, info.value.field) == (400, field)
    status = status_pb2.Status.FromString(codec.error_body(info.value, codec.PROTOBUF))
    detail = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(detail)
    assert detail.field_violations[0].field == field
    assert json.loads(codec.error_body(info.value, codec.JSON))["error"] == info.value.message


def test_media_types_and_empty_responses() -> None:
    assert codec.media_type("application/json; charset=utf-8") == codec.JSON
    with pytest.raises(codec.OtlpError) as info:
        codec.media_type("text/plain")
    assert info.value.status == 415
    assert codec.success_body(codec.LOGS, codec.PROTOBUF) == b""
    assert codec.success_body(codec.TRACES, codec.JSON) == b"{}"
    assert codec.parse_export(codec.LOGS, codec.JSON, b"{}").items == 0
