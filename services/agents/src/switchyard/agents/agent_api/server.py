"""The public agent.v1 gRPC server: agent auth instead of principals, same error boundary and health."""

from __future__ import annotations

import grpc
import grpc.aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry.instrumentation.grpc import aio_server_interceptor
from switchyard.agents.agent_api.auth import AgentAuthInterceptor, AuthCache, Authenticate
from switchyard.agents.agent_api.servicer import SERVICE_NAME, AgentApiServicer, add_to_server
from switchyard.grpckit.interceptors import UNGUARDED_PREFIXES, ExceptionToStatusInterceptor
from switchyard.grpckit.server import SERVER_OPTIONS, RunningServer, format_address
from switchyard.obs import get_logger, tracing_enabled

log = get_logger(__name__)

# The real agent's channel allows 30 MiB messages both ways.
MAX_MESSAGE_BYTES = 30 * 1024 * 1024
# Calls gRPC holds until the Python server takes them. Past the defaults (1,000 soft, 3,000 hard, 30 s)
# new streams are CANCELLED whenever a fleet dials at once (an agents restart: every agent redials
# within seconds), and each refused agent backs off up to 30 s and adds to the next wave. Queued, they
# are served a little later instead.
MAX_PENDING_CALLS = 16_384
OPTIONS = (
    *SERVER_OPTIONS,
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.server.max_pending_requests", MAX_PENDING_CALLS),
    ("grpc.server.max_pending_requests_hard_limit", 2 * MAX_PENDING_CALLS),
    ("grpc.server_max_unrequested_time_in_server", 600),
)


def _traced(details: grpc.HandlerCallDetails) -> bool:
    return not str(details.method).startswith(UNGUARDED_PREFIXES)


async def start_agent_server(
    *,
    servicer: AgentApiServicer,
    authenticate: Authenticate,
    cache: AuthCache,
    host: str,
    port: int,
) -> RunningServer:
    """Bind and start ``agent.v1.AgentService`` with grpc health and reflection.

    Interceptors: OTel (when tracing), agent auth, exception -> status (grpckit's table).
    """
    interceptors: list[grpc.aio.ServerInterceptor] = [
        AgentAuthInterceptor(authenticate, cache),
        ExceptionToStatusInterceptor(),
    ]
    if tracing_enabled():
        interceptors.insert(0, aio_server_interceptor(filter_=_traced))  # type: ignore[no-untyped-call]
    server = grpc.aio.server(interceptors=interceptors, options=OPTIONS)
    add_to_server(servicer, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for service in ("", SERVICE_NAME):
        await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection([SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    address = format_address(host, port)
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError as exc:
        raise RuntimeError(f"cannot bind the agent gRPC server to {address}") from exc
    if bound == 0:
        raise RuntimeError(f"cannot bind the agent gRPC server to {address}")
    await server.start()
    running = RunningServer(server=server, health=health_servicer, host=host, port=bound, name="agents-agent")
    log.info("agent grpc server started", address=running.address)
    return running
