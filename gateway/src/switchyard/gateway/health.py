"""``/health`` (the process is up) and ``/readyz`` (identity answers grpc.health and Redis answers)."""

from __future__ import annotations

from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from litestar import get
from litestar.di import NamedDependency
from litestar.response import Response
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.state import Gateway
from switchyard.obs import get_logger

_log = get_logger(__name__)


@get(
    "/health",
    operation_id="Health",
    tags=["System"],
    description="Returns a simple health status. Used by load balancers and monitoring services to verify the server is running.",  # noqa: E501
)
async def health() -> dict[str, str]:
    """Liveness."""
    return {"status": "ok"}


async def _identity_serving(gateway: NamedDependency[Gateway]) -> bool:
    stub = health_pb2_grpc.HealthStub(gateway.identity_channel)
    try:
        reply = await stub.Check(
            health_pb2.HealthCheckRequest(service=""), timeout=gateway.settings.rpc_timeout_seconds
        )
    except grpc.aio.AioRpcError as exc:
        _log.warning("identity not ready", grpc_code=exc.code().name)
        return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


async def _redis_up(gateway: NamedDependency[Gateway]) -> bool:
    try:
        return bool(await gateway.redis.ping())
    except Exception as exc:
        _log.warning("redis not ready", error=type(exc).__name__)
        return False


@get(
    "/readyz",
    operation_id="Ready",
    tags=["System"],
    description="Reports whether the gateway can serve: identity answers its gRPC health check and Redis answers a ping. Returns 503 while either is down.",  # noqa: E501
)
async def readyz(gateway: NamedDependency[Gateway]) -> Response[Any]:
    """Readiness."""
    if not await _identity_serving(gateway):
        raise GatewayError(503, "identity unavailable")
    if not await _redis_up(gateway):
        raise GatewayError(503, "redis unavailable")
    return Response({"status": "ok"})


ROUTES = [health, readyz]
