"""The ingest pipeline every ingest route runs: key, rate limit, bounded body, publish, ack.

Order matters for cost: the key is checked first (cached), then the per-key rate limit (counted in
process and shared by replicas through Redis in the background: ``ingest_limiter``), then the body is read
and decompressed with a hard size cap; the payload is published to JetStream and the request is
answered only once the stream has stored it.
"""

from __future__ import annotations

import uuid
import zlib
from datetime import UTC, datetime
from typing import Any

import brotli
from litestar import Request
from switchyard.gateway.clients.ingest_door import DsnKey
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.request_id import request_id_of
from switchyard.gateway.state import Gateway
from switchyard.obs import get_logger

SENTRY_SUBJECT = "ingest.raw.sentry"
_log = get_logger(__name__)


def _sentry_auth_key(header: str) -> str:
    # "Sentry sentry_version=7, sentry_client=sentry.python/2.0, sentry_key=<public key>"
    text = header.strip()
    if text.lower().startswith("sentry "):
        text = text[7:]
    for part in text.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip() == "sentry_key":
            return value.strip()
    return ""


def sentry_key(request: Request[Any, Any, Any]) -> str:
    """The DSN public key of a Sentry request: ``X-Sentry-Auth``, else the ``sentry_key`` query parameter."""
    header = request.headers.get("x-sentry-auth", "")
    if header:
        return _sentry_auth_key(header)
    return str(request.query_params.get("sentry_key", ""))


def bearer_key(request: Request[Any, Any, Any]) -> str:
    """The ingest key of ``Authorization: Bearer <key>``."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


async def authenticate(gateway: Gateway, request: Request[Any, Any, Any], public_key: str) -> DsnKey:
    """The DSN of ``public_key``, rate limited per key; 401 when unknown, 429 over the limit."""
    if not public_key:
        raise GatewayError(401, "missing DSN key")
    found = await gateway.dsn_keys.resolve(public_key, request_id=request_id_of(request.scope))
    if found is None:
        raise GatewayError(401, "invalid DSN key")
    rate_limit(gateway, found.dsn_id)
    return found


def rate_limit(gateway: Gateway, bucket: str) -> None:
    """Count one request of ``bucket`` (a DSN id, a hashed push key) in this second, across replicas;
    429 with ``Retry-After: 1`` past ``GATEWAY_INGEST_RATE_LIMIT_PER_SECOND``."""
    if not gateway.ingest_limiter.hit(bucket, gateway.settings.ingest_rate_limit_per_second):
        raise GatewayError(429, "rate limit exceeded", retry_after=1)


def _too_large(limit: int) -> GatewayError:
    return GatewayError(413, f"body is larger than {limit} bytes")


async def read_body(request: Request[Any, Any, Any], limit: int) -> bytes:
    """The request body, refused with 413 once it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def decode(body: bytes, encoding: str, limit: int) -> bytes:
    """``body`` decoded per ``Content-Encoding`` (gzip, deflate, br), at most ``limit`` bytes out."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return body
    try:
        if name == "br":
            out: bytes = brotli.Decompressor().process(body, output_buffer_limit=limit + 1)
        elif name in ("gzip", "x-gzip", "deflate"):
            # gzip and zlib headers are detected (wbits | 32); some clients send raw deflate.
            try:
                inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)
                out = inflater.decompress(body, limit + 1)
            except zlib.error:
                if name != "deflate":
                    raise
                inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                out = inflater.decompress(body, limit + 1)
        else:
            raise GatewayError(415, f"unsupported Content-Encoding {name}")
    except (zlib.error, brotli.error) as exc:
        raise GatewayError(400, f"body is not valid {name}") from exc
    if len(out) > limit:
        raise _too_large(limit)
    return out


async def read_decoded(request: Request[Any, Any, Any], gateway: Gateway) -> bytes:
    """The body, size-capped before and after decompression."""
    limit = gateway.settings.ingest_max_body_bytes
    raw = await read_body(request, limit)
    return decode(raw, request.headers.get("content-encoding", ""), limit)


async def publish(
    gateway: Gateway, key: DsnKey, body: bytes, *, kind: str, event_id: str, subject: str = SENTRY_SUBJECT
) -> None:
    """Publish to the INGEST stream (``subject``) and wait for its ack; 503 when it cannot be made durable."""
    headers = {
        "Ingest-Org-Id": key.org_id,
        "Ingest-Project-Id": str(key.project_id),
        "Ingest-Dsn-Id": key.dsn_id,
        "Ingest-Kind": kind,
        "Ingest-Event-Id": event_id,
        "Ingest-Received-At": datetime.now(UTC).isoformat(),
    }
    try:
        await gateway.ingest_bus.publish(subject, body, msg_id=uuid.uuid4().hex, headers=headers)
    except Exception as exc:
        _log.warning("ingest publish failed", error=type(exc).__name__)
        raise GatewayError(503, "ingest unavailable", retry_after=1) from exc


def event_id_of(value: Any, field: str = "event_id") -> str:
    """A given event id (a UUID, dashes allowed) as 32 hex characters, or a new one."""
    if value is None or value == "":
        return uuid.uuid4().hex
    try:
        return uuid.UUID(str(value)).hex
    except ValueError as exc:
        raise GatewayError(400, f"{field} must be a UUID") from exc
