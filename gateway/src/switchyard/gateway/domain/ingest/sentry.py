"""The Sentry protocol door: ``POST /api/{projectId}/envelope/`` and the legacy ``/api/{projectId}/store/``.

Unmodified Sentry SDKs send here when their DSN is ``http(s)://<public key>@<gateway host>/<project id>``.
The gateway checks the framing it needs (the envelope header, the first item header; a store body is a
JSON object) and answers 400 when it is wrong; deeper problems are the consumer's, which dead-letters them.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from switchyard.gateway.domain.ingest import door
from switchyard.gateway.domain.ingest.schemas import IngestAccepted
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.state import Gateway

AnyRequest = Request[Any, Any, Any]
_AUTH = (
    "Authenticated by the DSN public key in X-Sentry-Auth (sentry_key=...) or the sentry_key query "
    "parameter (401 when missing, unknown or of another project). Bodies may be gzip, deflate or br "
    "encoded; larger than GATEWAY_INGEST_MAX_BODY_BYTES (compressed or not) is 413; more than "
    "GATEWAY_INGEST_RATE_LIMIT_PER_SECOND requests per key and second is 429 with Retry-After. "
    "200 {id: <event id>} is sent only once the payload is stored in JetStream (503 when it cannot be)."
)
_ENVELOPE = (
    "Sentry envelope ingest. Every item type is accepted: events are stored and grouped; transactions, "
    "sessions, client reports, attachments and the rest are counted. "
)


def _json_line(line: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError as exc:
        raise GatewayError(400, f"malformed envelope: {what} is not JSON") from exc
    if not isinstance(value, dict):
        raise GatewayError(400, f"malformed envelope: {what} is not a JSON object")
    return value


def envelope_event_id(body: bytes) -> str:
    """The envelope's event id (a new one when it has none); 400 when its framing is wrong."""
    lines = body.split(b"\n", 2)
    header = _json_line(lines[0], "header")
    if len(lines) > 1 and lines[1].strip():
        item = _json_line(lines[1], "item header")
        if not isinstance(item.get("type"), str):
            raise GatewayError(400, "malformed envelope: item header has no type")
    return door.event_id_of(header.get("event_id"))


def store_event_id(body: bytes) -> str:
    """The event id of a store body; 400 unless it is a JSON object."""
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise GatewayError(400, "event is not JSON") from exc
    if not isinstance(event, dict):
        raise GatewayError(400, "event is not a JSON object")
    return door.event_id_of(event.get("event_id"))


async def _accept(gateway: Gateway, request: AnyRequest, project_id: int, kind: str) -> IngestAccepted:
    key = await door.authenticate(gateway, request, door.sentry_key(request))
    if key.project_id != project_id:
        raise GatewayError(401, "DSN key does not belong to this project")
    body = await door.read_decoded(request, gateway)
    event_id = envelope_event_id(body) if kind == "envelope" else store_event_id(body)
    await door.publish(gateway, key, body, kind=kind, event_id=event_id)
    return IngestAccepted(id=event_id)


class SentryController(Controller):
    """Sentry SDK ingest."""

    path = "/api"
    tags = ["Errors"]

    @post(
        "/{projectId:int}/envelope",
        status_code=200,
        operation_id="sentryEnvelope",
        request_max_body_size=None,
        description=_ENVELOPE + _AUTH,
    )
    async def envelope(
        self, projectId: FromPath[int], request: AnyRequest, gateway: NamedDependency[Gateway]
    ) -> IngestAccepted:
        """Accept an envelope."""
        return await _accept(gateway, request, projectId, "envelope")

    @post(
        "/{projectId:int}/store",
        status_code=200,
        operation_id="sentryStore",
        request_max_body_size=None,
        description="Legacy Sentry store ingest: one event as a JSON object. " + _AUTH,
    )
    async def store(
        self, projectId: FromPath[int], request: AnyRequest, gateway: NamedDependency[Gateway]
    ) -> IngestAccepted:
        """Accept a legacy store event."""
        return await _accept(gateway, request, projectId, "store")
