"""Server interceptors: request context (signed principal, request id) and the one error boundary.

grpc.aio gives an interceptor only the method name and metadata; to act around the handler itself
(set a context variable for the call, turn exceptions into statuses) each interceptor here wraps the
handler's behaviour, for unary and streaming RPCs alike, inside an async context manager ("guard").
"""

from __future__ import annotations

import contextlib
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import grpc
import grpc.aio
from switchyard.grpckit.errors import DomainError, Unauthenticated
from switchyard.grpckit.principal import (
    ANONYMOUS_PRINCIPAL,
    METADATA_KEY,
    REQUEST_ID_KEY,
    Principal,
    PrincipalVerifier,
    current_principal,
)
from switchyard.obs import get_logger, request_id_var

log = get_logger(__name__)

# DomainError.code -> gRPC status. The gateway maps these codes to HTTP in its own single table.
GRPC_CODES: dict[str, grpc.StatusCode] = {
    "INVALID_ARGUMENT": grpc.StatusCode.INVALID_ARGUMENT,
    "UNAUTHENTICATED": grpc.StatusCode.UNAUTHENTICATED,
    "PERMISSION_DENIED": grpc.StatusCode.PERMISSION_DENIED,
    "NOT_FOUND": grpc.StatusCode.NOT_FOUND,
    "ALREADY_EXISTS": grpc.StatusCode.ALREADY_EXISTS,
    "FAILED_PRECONDITION": grpc.StatusCode.FAILED_PRECONDITION,
    "RESOURCE_EXHAUSTED": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "UNAVAILABLE": grpc.StatusCode.UNAVAILABLE,
    "ABORTED": grpc.StatusCode.ABORTED,
    "OUT_OF_RANGE": grpc.StatusCode.OUT_OF_RANGE,
    "DEADLINE_EXCEEDED": grpc.StatusCode.DEADLINE_EXCEEDED,
    "UNIMPLEMENTED": grpc.StatusCode.UNIMPLEMENTED,
    "INTERNAL": grpc.StatusCode.INTERNAL,
}

ERROR_FIELDS_KEY = "x-error-fields"
HTTP_STATUS_KEY = "x-http-status"
RETRY_AFTER_KEY = "x-retry-after"
INTERNAL_MESSAGE = "internal error"

# Infrastructure RPCs are answered for anyone: probes and grpcurl carry no principal.
UNGUARDED_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)

Behavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Any]
Guard = Callable[[grpc.aio.ServicerContext[Any, Any]], AbstractAsyncContextManager[None]]
Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]]


async def _run_unary(behavior: Behavior, request: Any, context: Any) -> Any:
    result = behavior(request, context)
    # A plain (non-async) handler returns its response directly.
    return await result if inspect.isawaitable(result) else result


async def _run_streaming(behavior: Behavior, request: Any, context: Any) -> AsyncIterator[Any]:
    result = behavior(request, context)
    if hasattr(result, "__aiter__"):
        async for item in result:
            yield item
    elif inspect.isawaitable(result):
        # A handler that streams through context.write() returns a coroutine, not a generator.
        await result
    elif result is not None:
        for item in result:
            yield item


def wrap_handler(handler: grpc.RpcMethodHandler, guard: Guard) -> grpc.RpcMethodHandler:
    """Return ``handler`` with its behaviour run inside ``guard(context)``, whatever its arity.

    Args:
        handler: The next handler in the chain.
        guard: Factory of an async context manager entered around every call.

    Returns:
        An equivalent handler (same streaming kind and (de)serialisers) that runs inside the guard.
    """
    if handler.response_streaming:
        behavior: Behavior = handler.stream_stream if handler.request_streaming else handler.unary_stream

        async def streaming(request: Any, context: Any) -> AsyncIterator[Any]:
            async with guard(context):
                async for item in _run_streaming(behavior, request, context):
                    yield item

        factory = (
            grpc.stream_stream_rpc_method_handler
            if handler.request_streaming
            else grpc.unary_stream_rpc_method_handler
        )
        return factory(
            streaming,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    unary_behavior: Behavior = handler.stream_unary if handler.request_streaming else handler.unary_unary

    async def unary(request: Any, context: Any) -> Any:
        async with guard(context):
            return await _run_unary(unary_behavior, request, context)

    unary_factory = (
        grpc.stream_unary_rpc_method_handler
        if handler.request_streaming
        else grpc.unary_unary_rpc_method_handler
    )
    return unary_factory(
        unary,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _metadata_value(details: grpc.HandlerCallDetails, key: str) -> str:
    for item_key, value in details.invocation_metadata or ():
        if item_key == key:
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return ""


class PrincipalInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Verifies the signed principal and exposes it (and the request id) for the call.

    No principal means anonymous; a present but forged, malformed or expired one is refused with
    UNAUTHENTICATED before the handler runs. Health and reflection RPCs are not checked.
    """

    def __init__(self, verifier: PrincipalVerifier) -> None:
        """Create the interceptor.

        Args:
            verifier: Checks the HMAC and expiry of ``x-switchyard-principal``.
        """
        self._verifier = verifier

    def _verify(self, token: str) -> Principal:
        if not token:
            return ANONYMOUS_PRINCIPAL
        try:
            return self._verifier.verify(token)
        except Unauthenticated:
            raise
        except Exception as exc:
            # Any parsing surprise in attacker-controlled input is a refusal, never a 500.
            raise Unauthenticated("malformed principal") from exc

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        """Wrap the handler so it runs with ``current_principal`` and the request id set."""
        handler = await continuation(handler_call_details)
        if handler is None or handler_call_details.method.startswith(UNGUARDED_PREFIXES):
            return handler
        token = _metadata_value(handler_call_details, METADATA_KEY)
        request_id = _metadata_value(handler_call_details, REQUEST_ID_KEY)
        try:
            principal: Principal | None = self._verify(token)
            refusal = ""
        except Unauthenticated as exc:
            principal, refusal = None, exc.message

        @asynccontextmanager
        async def guard(context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[None]:
            if principal is None:
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, refusal)
                return
            principal_token = current_principal.set(principal)
            request_token = request_id_var.set(request_id or principal.request_id)
            try:
                yield
            finally:
                # A streaming handler abandoned by its client may be closed from another context,
                # where resetting is refused; the call's own context dies with it anyway.
                with contextlib.suppress(ValueError):
                    request_id_var.reset(request_token)
                    current_principal.reset(principal_token)

        return wrap_handler(handler, guard)


def error_metadata(error: DomainError) -> tuple[tuple[str, str], ...]:
    """Trailing metadata that carries a DomainError's extras to the gateway.

    Returns:
        ``x-error-fields`` (JSON object, only when there are fields), ``x-http-status`` and
        ``x-retry-after`` (only when set).
    """
    metadata: list[tuple[str, str]] = []
    if error.fields:
        # ensure_ascii keeps the value legal as ASCII gRPC metadata.
        metadata.append((ERROR_FIELDS_KEY, json.dumps(error.fields, separators=(",", ":"), default=str)))
    if error.http_status is not None:
        metadata.append((HTTP_STATUS_KEY, str(error.http_status)))
    if error.retry_after is not None:
        metadata.append((RETRY_AFTER_KEY, str(error.retry_after)))
    return tuple(metadata)


class ExceptionToStatusInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """The one error boundary: DomainError -> its status code, anything else -> INTERNAL.

    The text of an unexpected exception is logged with its traceback and never sent to the caller.
    """

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        """Wrap the handler so exceptions it raises become gRPC statuses."""
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method

        @asynccontextmanager
        async def guard(context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[None]:
            try:
                yield
            except grpc.aio.AbortError:
                raise
            except DomainError as exc:
                code = GRPC_CODES.get(exc.code, grpc.StatusCode.INTERNAL)
                log.info("rpc refused", method=method, code=code.name, error=exc.message)
                await context.abort(code, exc.message, trailing_metadata=error_metadata(exc))
            except Exception:
                log.exception("rpc failed", method=method)
                await context.abort(grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE)

        return wrap_handler(handler, guard)


__all__ = [
    "ERROR_FIELDS_KEY",
    "GRPC_CODES",
    "HTTP_STATUS_KEY",
    "INTERNAL_MESSAGE",
    "RETRY_AFTER_KEY",
    "UNGUARDED_PREFIXES",
    "ExceptionToStatusInterceptor",
    "PrincipalInterceptor",
    "error_metadata",
    "wrap_handler",
]
