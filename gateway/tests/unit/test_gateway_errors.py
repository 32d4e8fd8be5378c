"""The one gRPC-code -> HTTP table, trailing-metadata overrides and field-naming validation messages."""

from __future__ import annotations

import grpc
import pytest
from switchyard.gateway.errors import HTTP_STATUS_BY_CODE, error_response, field_message, from_rpc_error

pytestmark = pytest.mark.unit


def _rpc_error(code: grpc.StatusCode, details: str, *trailers: tuple[str, str]) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailers), details=details)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, 400),
        (grpc.StatusCode.UNAUTHENTICATED, 401),
        (grpc.StatusCode.PERMISSION_DENIED, 403),
        (grpc.StatusCode.NOT_FOUND, 404),
        (grpc.StatusCode.ALREADY_EXISTS, 409),
        (grpc.StatusCode.FAILED_PRECONDITION, 409),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 429),
        (grpc.StatusCode.UNAVAILABLE, 503),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504),
        (grpc.StatusCode.INTERNAL, 500),
    ],
)
def test_codes_map_to_statuses(code: grpc.StatusCode, status: int) -> None:
    assert HTTP_STATUS_BY_CODE[code] == status
    assert from_rpc_error(_rpc_error(code, "detail")).status == status


def test_domain_messages_pass_through_but_internal_details_do_not() -> None:
    assert (
        from_rpc_error(_rpc_error(grpc.StatusCode.NOT_FOUND, "message not found")).message
        == "message not found"
    )
    leaked = from_rpc_error(_rpc_error(grpc.StatusCode.INTERNAL, "Traceback: secret stuff"))
    assert (leaked.status, leaked.message) == (500, "internal error")
    transport = from_rpc_error(_rpc_error(grpc.StatusCode.UNAVAILABLE, "failed to connect to 10.0.0.7:50051"))
    assert transport.message == "service unavailable"


def test_trailing_metadata_overrides_status_and_adds_retry_after_and_fields() -> None:
    exc = _rpc_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        "account locked",
        ("x-http-status", "423"),
        ("x-retry-after", "900"),
        ("x-error-fields", '{"lockedUntil": "2030-01-01T00:00:00Z", "error": "ignored"}'),
    )
    error = from_rpc_error(exc)
    assert (error.status, error.retry_after) == (423, 900)
    response = error_response(error)
    assert response.status_code == 423
    assert response.headers["Retry-After"] == "900"
    assert response.content == {"error": "account locked", "lockedUntil": "2030-01-01T00:00:00Z"}


def test_garbage_trailers_are_ignored() -> None:
    exc = _rpc_error(
        grpc.StatusCode.NOT_FOUND, "gone", ("x-http-status", "abc"), ("x-error-fields", "[not json")
    )
    error = from_rpc_error(exc)
    assert (error.status, error.fields, error.retry_after) == (404, {}, None)


@pytest.mark.parametrize(
    ("message", "key", "expected"),
    [
        ("Object missing required field `newPassword`", "data", "newPassword is required"),
        ("Expected `str`, got `int`", "email", "email must be a string"),
        ("Expected `str` of length >= 1", "password", "password is required"),
        ("Expected `str | array`, got `int`", "projects", "projects must be a string or an array"),
        ("Expected `bool`, got `str`", "isActive", "isActive must be a boolean"),
        ("Invalid enum value 'boss'", "role", "role has an invalid value"),
        ("Expected `object`, got `array`", "data", "request body must be a JSON object"),
        ("Invalid RFC3339 encoded datetime", "expiresAt", "expiresAt is invalid"),
    ],
)
def test_validation_messages_name_the_camel_case_field(message: str, key: str, expected: str) -> None:
    assert field_message(message, key) == expected
