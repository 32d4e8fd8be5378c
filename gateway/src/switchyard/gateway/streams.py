"""Server-streaming gRPC calls proxied as Server-Sent Events: the shared opening handshake."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from switchyard.gateway.errors import GatewayError, from_rpc_error


async def opened(call: grpc.aio.UnaryStreamCall[Any, Any], is_ready: Callable[[Any], bool]) -> None:
    """Wait for the stream's first (READY) frame, so a refusal (401/403/404/...) becomes an HTTP error before
    the 200 is sent; anything else first is 503. The call is cancelled on every failure."""
    try:
        first = await call.read()
    except grpc.aio.AioRpcError as exc:
        raise from_rpc_error(exc) from exc
    except BaseException:
        call.cancel()
        raise
    if first is grpc.aio.EOF or not is_ready(first):
        call.cancel()
        raise GatewayError(503, "service unavailable")
