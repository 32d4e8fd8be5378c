"""The PostHog capture door: ``POST /i/v0/e/``, ``/capture/``, ``/e/`` and ``/batch/`` (with or without
the trailing slash).

Unmodified PostHog SDKs send here when their host is the gateway and their project api key is a DSN public
key. Bodies are one event ``{api_key, event, distinct_id, properties, timestamp, uuid?}``, a batch
``{api_key, batch: [...]}`` or a bare array; JSON, gzip (``Content-Encoding: gzip`` or posthog-js'
``?compression=gzip-js``) or form-encoded ``data=`` (base64 or plain JSON). The key is the body's
``api_key``, else ``token`` (posthog-js puts it in each event's properties). The gateway checks what it
needs to route and to refuse a bad request (400); the consumer normalises and stores, and dead-letters what
it can never store. ``{"status": 1}`` is sent only once the body is durable in JetStream.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import Any
from urllib.parse import parse_qs

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from switchyard.gateway.domain.ingest import door
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.state import Gateway

POSTHOG_SUBJECT = "ingest.raw.posthog"
# Litestar matches each with and without the trailing slash the SDKs send.
OPERATIONS = {
    "/i/v0/e": "PosthogCapture",
    "/capture": "PosthogCaptureLegacy",
    "/e": "PosthogCaptureE",
    "/batch": "PosthogBatch",
}
_GZIP_COMPRESSIONS = {"gzip", "gzip-js"}
AnyRequest = Request[Any, Any, Any]


def _operation_id(handler: Any, method: Any, components: list[Any]) -> str:
    # One handler serves four paths; OpenAPI needs an operation id per path.
    return OPERATIONS.get("/" + "/".join(str(c) for c in components), "PosthogCapture")


def _bad(message: str) -> GatewayError:
    return GatewayError(400, message)


def _form_data(raw: bytes) -> tuple[bytes, str]:
    # posthog-js' legacy transport: data=<base64 JSON>&compression=base64 (or plain JSON).
    form = parse_qs(raw.decode("latin-1"), keep_blank_values=True)
    data = (form.get("data") or [""])[0]
    if not data:
        raise _bad("data is required")
    compression = (form.get("compression") or [""])[0].lower()
    if compression == "base64" or not data.lstrip().startswith(("{", "[")):
        # A client that did not URL-encode its base64 has had its "+" turned into spaces by the form parser.
        text = data.strip().replace(" ", "+")
        try:
            return base64.b64decode(
                text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text else None
            ), ""
        except (binascii.Error, ValueError) as exc:
            raise _bad("data is not base64") from exc
    return data.encode("latin-1"), compression


async def capture_body(request: AnyRequest, gateway: Gateway) -> bytes:
    """The request's JSON text: size-capped, form-unwrapped and decompressed (413 / 400 / 415)."""
    limit = gateway.settings.ingest_max_body_bytes
    raw = await door.read_body(request, limit)
    encoding = request.headers.get("content-encoding", "")
    compression = str(request.query_params.get("compression", "")).lower()
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raw, form_compression = _form_data(raw)
        compression = form_compression or compression
    if not encoding and compression in _GZIP_COMPRESSIONS:
        encoding = "gzip"
    return door.decode(raw, encoding, limit)


def _events(payload: Any) -> list[Any]:
    if isinstance(payload, list):
        return payload
    if not isinstance(payload, dict):
        raise _bad("body must be a JSON object or array")
    if "batch" in payload:
        if not isinstance(payload["batch"], list):
            raise _bad("batch must be an array")
        return list(payload["batch"])
    return [payload]


def _key_of(payload: Any, events: list[Any]) -> str:
    places: list[Any] = [payload, *events[:1]]
    if events and isinstance(events[0], dict):
        places.append(events[0].get("properties"))
    for place in places:
        if isinstance(place, dict):
            for name in ("api_key", "token"):
                value = place.get(name)
                if isinstance(value, str) and value.strip():
                    return value.strip()
    return ""


def _check(events: list[Any]) -> None:
    if not events:
        raise _bad("batch must not be empty")
    for i, raw in enumerate(events):
        where = f"batch[{i}]" if len(events) > 1 else "body"
        if not isinstance(raw, dict):
            raise _bad(f"{where} must be an object")
        name = raw.get("event")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise _bad(f"{where}.event must be a name of 1..200 characters")
        props = raw.get("properties")
        if props is not None and not isinstance(props, dict):
            raise _bad(f"{where}.properties must be an object")
        who = raw.get("distinct_id", (props or {}).get("distinct_id", (props or {}).get("$distinct_id")))
        if isinstance(who, bool) or not isinstance(who, (str, int, float)) or not str(who).strip():
            raise _bad(f"{where}.distinct_id is required")


class PosthogCaptureController(Controller):
    """PostHog-compatible event capture."""

    tags = ["Analytics"]

    @post(
        list(OPERATIONS),
        status_code=200,
        operation_id=_operation_id,
        description="PostHog capture: one event {api_key, event, distinct_id, properties?, timestamp?, uuid?} or {api_key, batch: [...]}; JSON, gzip (Content-Encoding or ?compression=gzip-js) or form data= (base64). The api_key (or token) is a DSN public key: 401 when missing or unknown, 429 with Retry-After over the per-key rate, 413 over the body limit, 400 for a bad body. {status: 1} once the body is durable in JetStream.",  # noqa: E501
    )
    async def capture(self, request: AnyRequest, gateway: NamedDependency[Gateway]) -> dict[str, int]:
        """Accept events."""
        body = await capture_body(request, gateway)
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise _bad("body is not JSON") from exc
        events = _events(payload)
        public_key = _key_of(payload, events)
        if not public_key:
            raise GatewayError(401, "missing api_key")
        _check(events)
        found = await door.authenticate(gateway, request, public_key)
        await door.publish(
            gateway, found, body, kind="posthog", event_id=uuid.uuid4().hex, subject=POSTHOG_SUBJECT
        )
        return {"status": 1}


ROUTES = [PosthogCaptureController]
