"""``/health`` (the process is up) and ``/readyz`` (every service answers grpc.health, Redis pings)."""

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


async def _serving(gateway: Gateway, channel: grpc.aio.Channel, name: str) -> bool:
    stub = health_pb2_grpc.HealthStub(channel)
    try:
        reply = await stub.Check(
            health_pb2.HealthCheckRequest(service=""), timeout=gateway.settings.rpc_timeout_seconds
        )
    except grpc.aio.AioRpcError as exc:
        _log.warning("service not ready", service=name, grpc_code=exc.code().name)
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
    description="Reports whether the gateway can serve: identity, workers, mutations, agents, deploy and ingest answer their gRPC health checks and Redis answers a ping. Returns 503 naming the first one that is down.",  # noqa: E501
)
async def readyz(gateway: NamedDependency[Gateway]) -> Response[Any]:
    """Readiness."""
    downstream = {
        "identity": gateway.identity_channel,
        "workers": gateway.workers_channel,
        "mutations": gateway.mutations_channel,
        "agents": gateway.agents_channel,
        "deploy": gateway.deploy_channel,
        "ingest": gateway.ingest_channel,
    }
    for name, channel in downstream.items():
        if not await _serving(gateway, channel, name):
            raise GatewayError(503, f"{name} unavailable")
    if not await _redis_up(gateway):
        raise GatewayError(503, "redis unavailable")
    return Response({"status": "ok"})


ROUTES = [health, readyz]
