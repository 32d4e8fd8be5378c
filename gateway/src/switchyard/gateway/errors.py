"""One error shape for every response: ``{"error": "<message>"}`` plus fields a seed names.

gRPC status codes become HTTP statuses in exactly one table (``HTTP_STATUS_BY_CODE``). A service may
override the status (``x-http-status``, e.g. 423 Locked), ask for a ``Retry-After`` (``x-retry-after``)
and add top-level body fields (``x-error-fields``) through trailing metadata.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import grpc
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.response import Response
from switchyard.obs import get_logger

if TYPE_CHECKING:
    from litestar import Request

_log = get_logger(__name__)

HTTP_STATUS_BY_CODE: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.CANCELLED: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.DATA_LOSS: 500,
}

# Codes whose details come from the transport or a crash, not from a domain message: never shown.
_FIXED_MESSAGES: dict[grpc.StatusCode, str] = {
    grpc.StatusCode.UNAVAILABLE: "service unavailable",
    grpc.StatusCode.CANCELLED: "service unavailable",
    grpc.StatusCode.DEADLINE_EXCEEDED: "upstream timeout",
    grpc.StatusCode.UNKNOWN: "internal error",
    grpc.StatusCode.INTERNAL: "internal error",
    grpc.StatusCode.DATA_LOSS: "internal error",
    grpc.StatusCode.UNIMPLEMENTED: "not implemented",
}


class GatewayError(Exception):
    """An expected failure that becomes an HTTP error response.

    Args:
        status: HTTP status code.
        message: Human sentence for the ``error`` field.
        fields: Extra top-level body fields.
        retry_after: Seconds for a ``Retry-After`` header.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = dict(fields or {})
        self.retry_after = retry_after


def _metadata_value(metadata: Any, key: str) -> str | None:
    for item in metadata or ():
        name, value = item[0], item[1]
        if name == key:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def from_rpc_error(exc: grpc.aio.AioRpcError) -> GatewayError:
    """Translate a failed RPC into the HTTP error the caller sees."""
    code = exc.code()
    trailers = exc.trailing_metadata()
    status = _int_or_none(_metadata_value(trailers, "x-http-status")) or HTTP_STATUS_BY_CODE.get(code, 500)
    message = _FIXED_MESSAGES.get(code) or exc.details() or "request failed"
    fields: dict[str, Any] = {}
    raw_fields = _metadata_value(trailers, "x-error-fields")
    if raw_fields:
        try:
            parsed = json.loads(raw_fields)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            fields = {k: v for k, v in parsed.items() if k != "error"}
    retry_after = _int_or_none(_metadata_value(trailers, "x-retry-after"))
    if status >= 500:
        _log.warning("upstream call failed", grpc_code=code.name, http_status=status)
    return GatewayError(status, message, fields=fields, retry_after=retry_after)


def error_response(error: GatewayError) -> Response[dict[str, Any]]:
    """Render ``error`` as ``{"error": message, **fields}`` with its status and headers."""
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    return Response({"error": error.message, **error.fields}, status_code=error.status, headers=headers)


_TYPE_NAMES = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "array": "an array",
    "object": "an object",
    "null": "null",
}
_MISSING = re.compile(r"Object missing required field `([^`]+)`")
_EXPECTED = re.compile(r"Expected `([^`]+)`, got `([^`]+)`")
_TOO_SHORT = re.compile(r"Expected `(str|array)` of length >= 1")


def _expected_phrase(expected: str) -> str:
    parts = [_TYPE_NAMES.get(part.strip(), part.strip()) for part in expected.split("|")]
    return " or ".join(parts)


def field_message(message: str, key: str | None) -> str:
    """Turn one msgspec validation message into a sentence naming the camelCase field."""
    if missing := _MISSING.search(message):
        return f"{missing.group(1)} is required"
    field = key if key and key != "data" else None
    if field is None:
        return "request body must be a JSON object"
    if _TOO_SHORT.search(message):
        return f"{field} is required"
    if expected := _EXPECTED.search(message):
        return f"{field} must be {_expected_phrase(expected.group(1))}"
    if message.startswith("Invalid enum value"):
        return f"{field} has an invalid value"
    return f"{field} is invalid"


def _validation_message(exc: ValidationException) -> str:
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if isinstance(item, dict) and item.get("source") == "body":
            return field_message(str(item.get("message", "")), item.get("key"))
    for item in extra:
        if isinstance(item, dict) and item.get("key"):
            return f"{item['key']} is invalid"
    return "invalid request"


def _http_message(exc: HTTPException) -> str:
    if isinstance(exc.__cause__, SerializationException):
        return "invalid JSON body"
    if exc.status_code >= 500:
        return "internal error"
    return str(exc.detail).lower() if exc.detail else "request failed"


def handle_gateway_error(_: Request[Any, Any, Any], exc: GatewayError) -> Response[dict[str, Any]]:
    """Exception handler for ``GatewayError``."""
    return error_response(exc)


def handle_rpc_error(_: Request[Any, Any, Any], exc: grpc.aio.AioRpcError) -> Response[dict[str, Any]]:
    """Exception handler for a failed downstream RPC that a handler did not translate itself."""
    return error_response(from_rpc_error(exc))


def handle_http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Exception handler for Litestar's own errors (404, 405, 413, bad JSON, validation)."""
    if isinstance(exc, ValidationException):
        return error_response(GatewayError(400, _validation_message(exc)))
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
    response = error_response(GatewayError(exc.status_code, _http_message(exc)))
    response.headers.update(headers)
    return response


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Exception handler of last resort: log with traceback, answer 500 without details."""
    _log.exception("unhandled error", path=request.url.path, exc_type=type(exc).__name__)
    return error_response(GatewayError(500, "internal error"))


EXCEPTION_HANDLERS: dict[int | type[Exception], Any] = {
    GatewayError: handle_gateway_error,
    grpc.aio.AioRpcError: handle_rpc_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
