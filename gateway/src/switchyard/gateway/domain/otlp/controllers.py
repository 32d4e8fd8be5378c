"""The OTLP/HTTP door: ``POST /v1/traces`` and ``POST /v1/logs`` for unmodified OpenTelemetry exporters.

An exporter points ``OTEL_EXPORTER_OTLP_ENDPOINT`` at the gateway and sends ``Authorization: Bearer <DSN
public key>``. The body is checked here (bad data is 400, never the consumer's problem), normalised to
protobuf and published to ``ingest.raw.otlp``; the empty Export<signal>ServiceResponse is sent only once
JetStream has stored it. Every failure answers a google.rpc.Status in the request's encoding, as the OTLP
spec requires (a JSON one also carries our ``error`` field).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from switchyard.gateway.domain.ingest import door
from switchyard.gateway.domain.otlp import codec
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.state import Gateway

OTLP_SUBJECT = "ingest.raw.otlp"
TAGS = ["OTLP ingest"]
_DOOR = (
    "Authenticated by `Authorization: Bearer <DSN public key>` (401 when missing or unknown). Body: "
    "`application/x-protobuf` or `application/json` (OTLP/JSON: hex ids, integer enums; other types 415), "
    "optionally `Content-Encoding: gzip` or `deflate`; larger than GATEWAY_INGEST_MAX_BODY_BYTES is 413; "
    "over GATEWAY_INGEST_RATE_LIMIT_PER_SECOND requests per key and second is 429 with Retry-After. "
    "Success is 200 with the empty response message in the request's encoding, sent only once the export "
    "is stored in JetStream (503 when it cannot be). Errors are google.rpc.Status messages."
)


def _failure(error: codec.OtlpError, media: str) -> Response[bytes]:
    headers = {"Retry-After": "1"} if error.status in (429, 503) else {}
    return Response(
        codec.error_body(error, media), status_code=error.status, media_type=media, headers=headers
    )


async def export(request: Request[Any, Any, Any], gateway: Gateway, signal: str) -> Response[bytes]:
    """Authenticate, read, check, publish and answer one export of ``signal``."""
    declared = request.headers.get("content-type", "")
    media = codec.JSON if declared.split(";", 1)[0].strip().lower() == codec.JSON else codec.PROTOBUF
    try:
        key = await door.authenticate(gateway, request, door.bearer_key(request))
        codec.media_type(declared)
        body = await door.read_decoded(request, gateway)
        parsed = codec.parse_export(signal, media, body)
        if parsed.items:
            await door.publish(
                gateway, key, parsed.payload, kind=f"otlp-{signal}", event_id="", subject=OTLP_SUBJECT
            )
    except GatewayError as exc:
        return _failure(codec.OtlpError(exc.status, exc.message), media)
    except codec.OtlpError as exc:
        return _failure(exc, media)
    return Response(codec.success_body(signal, media), status_code=200, media_type=media)


class OtlpController(Controller):
    """OTLP/HTTP ingest (the SDKs' default paths)."""

    path = "/v1"
    tags = TAGS

    @post(
        "/traces",
        operation_id="otlpTraces",
        description="OTLP/HTTP trace export (ExportTraceServiceRequest). Spans are stored per trace; "
        "exception span events become error events in the DSN's error groups. " + _DOOR,
        status_code=200,
    )
    async def traces(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]
    ) -> Response[bytes]:
        """Accept a trace export."""
        return await export(request, gateway, codec.TRACES)

    @post(
        "/logs",
        operation_id="otlpLogs",
        description="OTLP/HTTP log export (ExportLogsServiceRequest). Records land in the log store of the "
        "DSN's app (searchable at /api/apps/{appId}/logs and /api/logs). " + _DOOR,
        status_code=200,
    )
    async def logs(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]
    ) -> Response[bytes]:
        """Accept a log export."""
        return await export(request, gateway, codec.LOGS)


ROUTES = [OtlpController]
