"""The error boundary and the principal interceptor, over a real grpc.aio server and channel."""

from __future__ import annotations

import json
import uuid
from typing import Any

import grpc
import grpc.aio
import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from switchyard.grpckit.client import call_metadata, create_channel
from switchyard.grpckit.interceptors import GRPC_CODES
from switchyard.grpckit.principal import METADATA_KEY, USER, Principal, PrincipalSigner
from switchyard.obs import tracing_enabled

pytestmark = pytest.mark.integration

FAIL = "/switchyard.test.v1.ProbeService/Fail"
WHOAMI = "/switchyard.test.v1.ProbeService/WhoAmI"
COUNT = "/switchyard.test.v1.ProbeService/Count"
COUNT_BY_WRITE = "/switchyard.test.v1.ProbeService/CountByWrite"


async def _drain(call: Any) -> tuple[list[bytes], grpc.aio.AioRpcError]:
    received: list[bytes] = []
    try:
        async for message in call:
            received.append(message)
    except grpc.aio.AioRpcError as error:
        return received, error
    raise AssertionError(f"the stream ended without an error after {received}")


async def _fail(channel: grpc.aio.Channel, request: str) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await channel.unary_unary(FAIL)(request.encode(), timeout=5)
    return caught.value


def _domain(cls: str, message: str, **options: object) -> str:
    return "domain:" + json.dumps({"cls": cls, "message": message, **options})


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        ("InvalidArgument", grpc.StatusCode.INVALID_ARGUMENT),
        ("Unauthenticated", grpc.StatusCode.UNAUTHENTICATED),
        ("PermissionDenied", grpc.StatusCode.PERMISSION_DENIED),
        ("NotFound", grpc.StatusCode.NOT_FOUND),
        ("AlreadyExists", grpc.StatusCode.ALREADY_EXISTS),
        ("Conflict", grpc.StatusCode.FAILED_PRECONDITION),
        ("TooManyRequests", grpc.StatusCode.RESOURCE_EXHAUSTED),
        ("Unavailable", grpc.StatusCode.UNAVAILABLE),
    ],
)
async def test_domain_errors_map_to_their_status_code(
    channel: grpc.aio.Channel, cls: str, code: grpc.StatusCode
) -> None:
    error = await _fail(channel, _domain(cls, f"{cls} happened"))
    assert error.code() == code
    assert error.details() == f"{cls} happened"
    # Nothing optional was set, so no extras travel.
    assert dict(error.trailing_metadata() or ()) == {}


def test_every_domain_error_code_is_in_the_table() -> None:
    from switchyard.grpckit import errors

    for name in errors.__all__:
        assert getattr(errors, name).code in GRPC_CODES


async def test_fields_status_and_retry_after_travel_as_trailing_metadata(channel: grpc.aio.Channel) -> None:
    request = _domain(
        "TooManyRequests",
        "slow down",
        fields={"cancelled": False, "reason": "rate_limited", "name": "Zoë"},
        http_status=423,
        retry_after=7,
    )
    error = await _fail(channel, request)
    trailing = dict(error.trailing_metadata() or ())
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert json.loads(trailing["x-error-fields"]) == {
        "cancelled": False,
        "reason": "rate_limited",
        "name": "Zoë",
    }
    assert trailing["x-http-status"] == "423"
    assert trailing["x-retry-after"] == "7"


async def test_unexpected_exception_is_internal_without_leaking_its_text(channel: grpc.aio.Channel) -> None:
    error = await _fail(channel, "crash:hunter2")
    assert error.code() == grpc.StatusCode.INTERNAL
    assert error.details() == "internal error"
    assert "hunter2" not in (error.debug_error_string() or "")
    assert dict(error.trailing_metadata() or ()) == {}


async def test_streaming_handler_error_arrives_after_its_messages(channel: grpc.aio.Channel) -> None:
    received, error = await _drain(channel.unary_stream(COUNT)(b"3", timeout=5))
    assert received == [b"0", b"1", b"2"]
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert json.loads(dict(error.trailing_metadata() or ())["x-error-fields"]) == {"reason": "late"}


async def test_write_style_streaming_handler_is_wrapped_too(channel: grpc.aio.Channel) -> None:
    received, error = await _drain(channel.unary_stream(COUNT_BY_WRITE)(b"", timeout=5))
    assert received == [b"written"]
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def _whoami(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...] = ()) -> dict[str, object]:
    reply = await channel.unary_unary(WHOAMI)(b"", metadata=metadata, timeout=5)
    return dict(json.loads(reply))


async def test_valid_principal_is_visible_to_the_handler(
    channel: grpc.aio.Channel, principal_key: bytes
) -> None:
    principal = Principal(kind=USER, user_id="u-1", tenant_id="t-1", role="admin", scopes=("a", "b"))
    token = PrincipalSigner(principal_key).sign(principal)
    seen = await _whoami(channel, call_metadata(token, "req-42"))
    assert seen["kind"] == USER
    assert seen["user_id"] == "u-1"
    assert seen["tenant_id"] == "t-1"
    assert seen["role"] == "admin"
    assert seen["scopes"] == ["a", "b"]
    assert seen["request_id"] == "req-42"


async def test_no_principal_is_anonymous(channel: grpc.aio.Channel) -> None:
    seen = await _whoami(channel)
    assert seen["kind"] == "anonymous"
    assert seen["user_id"] == ""


def _forged(principal_key: bytes) -> str:
    return PrincipalSigner(bytes(reversed(principal_key)) + b"x").sign(Principal(kind=USER, user_id="evil"))


def _expired(principal_key: bytes) -> str:
    return PrincipalSigner(principal_key, ttl_seconds=-1).sign(Principal(kind=USER, user_id="late"))


def _tampered(principal_key: bytes) -> str:
    body, _, mac = PrincipalSigner(principal_key).sign(Principal(kind=USER, user_id="u")).partition(".")
    return body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + mac


@pytest.mark.parametrize(
    "make_token",
    [_forged, _expired, _tampered, lambda _key: "garbage", lambda _key: "not.base64!!"],
    ids=["forged", "expired", "tampered", "garbage", "bad-base64"],
)
async def test_bad_principal_is_unauthenticated_and_handler_never_runs(
    channel: grpc.aio.Channel, principal_key: bytes, probe: object, make_token: object
) -> None:
    token = make_token(principal_key)  # type: ignore[operator]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _whoami(channel, ((METADATA_KEY, token),))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert probe.calls == 0  # type: ignore[attr-defined]


async def test_expired_principal_message_says_so(channel: grpc.aio.Channel, principal_key: bytes) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _whoami(channel, ((METADATA_KEY, _expired(principal_key)),))
    assert caught.value.details() == "principal expired"


async def _trace_ids(start_probe: Any, *, tracing: bool | None) -> tuple[str, str]:
    """Call WhoAmI under a known parent span: (the parent's trace id, the one the handler saw)."""
    running = await start_probe("traced", tracing=tracing)
    chan = create_channel(running.address, tracing=tracing)
    parent = SpanContext(
        trace_id=int(uuid.uuid4().hex, 16), span_id=0x42, is_remote=False, trace_flags=TraceFlags(1)
    )
    token = otel_context.attach(trace.set_span_in_context(NonRecordingSpan(parent)))
    try:
        seen = await _whoami(chan)
    finally:
        otel_context.detach(token)
        await chan.close()
    return format(parent.trace_id, "032x"), str(seen["trace_id"])


async def test_trace_context_crosses_the_call_when_tracing(start_probe: Any) -> None:
    sent, seen = await _trace_ids(start_probe, tracing=True)
    assert seen == sent


async def test_no_tracing_interceptors_when_this_process_records_no_spans(start_probe: Any) -> None:
    # The default provider records nothing, so the per-call interceptors are left out entirely.
    assert not tracing_enabled()
    sent, seen = await _trace_ids(start_probe, tracing=None)
    assert seen != sent


async def test_principal_does_not_leak_into_the_next_call(
    channel: grpc.aio.Channel, principal_key: bytes
) -> None:
    token = PrincipalSigner(principal_key).sign(Principal(kind=USER, user_id="u-1"))
    assert (await _whoami(channel, call_metadata(token, "r-1")))["user_id"] == "u-1"
    after = await _whoami(channel)
    assert after["kind"] == "anonymous"
    assert after["request_id"] == ""
