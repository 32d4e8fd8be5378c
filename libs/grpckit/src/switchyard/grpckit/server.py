"""Starting and stopping a service's grpc.aio server the same way everywhere.

``start_server`` puts the interceptors in the house order (OTel, request context, exception->status),
registers ``grpc.health.v1`` and reflection, and binds the port. ``serve_forever`` waits for
SIGTERM/SIGINT and shuts down gracefully: health goes NOT_SERVING first so probes and load
balancers stop sending traffic, in-flight calls get ``grace`` seconds, then pools are closed.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import grpc
import grpc.aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry.instrumentation.grpc import aio_server_interceptor
from switchyard.grpckit.config import MIN_KEY_BYTES
from switchyard.grpckit.interceptors import (
    UNGUARDED_PREFIXES,
    ExceptionToStatusInterceptor,
    PrincipalInterceptor,
)
from switchyard.grpckit.principal import PrincipalVerifier
from switchyard.obs import get_logger, tracing_enabled

log = get_logger(__name__)

AddServicer = Callable[[Any, grpc.aio.Server], None]

SERVER_OPTIONS: tuple[tuple[str, int], ...] = (
    # Without this, Linux lets a second process bind the same fixed port and silently split traffic.
    ("grpc.so_reuseport", 0),
    # Find dead clients on long-lived streams (agent command streams) within about a minute.
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    # Accept the clients' 30 s keepalive pings (create_channel) instead of answering GOAWAY.
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
    ("grpc.http2.max_ping_strikes", 0),
)


def _traced(details: grpc.HandlerCallDetails) -> bool:
    # Probes hit health every few seconds; tracing them would drown real requests in the traces.
    return not str(details.method).startswith(UNGUARDED_PREFIXES)


def format_address(host: str, port: int) -> str:
    """``host:port``, with brackets around an IPv6 literal."""
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


@dataclass
class RunningServer:
    """A started server and the handles needed to stop it.

    Attributes:
        server: The grpc.aio server.
        health: The aio health servicer (``await health.set(...)`` to change a status).
        host: The bound host.
        port: The bound port (the real one when 0 was asked for).
        name: The service name used in logs.
    """

    server: grpc.aio.Server
    health: health.aio.HealthServicer
    host: str
    port: int
    name: str = ""
    _stopped: bool = field(default=False, repr=False)

    @property
    def address(self) -> str:
        """``host:port`` to dial this server."""
        return format_address(self.host, self.port)

    async def stop(self, grace: float = 5.0) -> None:
        """Turn health NOT_SERVING, then stop, letting in-flight calls run for ``grace`` seconds.

        Calling it again is a no-op.
        """
        if self._stopped:
            return
        self._stopped = True
        log.info("grpc server stopping", service=self.name, grace=grace)
        # Both are coroutines on the aio servicer; without the await they would silently do nothing.
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        log.info("grpc server stopped", service=self.name)


async def start_server(
    *,
    name: str,
    servicers: Sequence[tuple[AddServicer, Any]],
    service_names: Sequence[str],
    principal_key: bytes,
    host: str = "127.0.0.1",
    port: int = 0,
    max_workers: int | None = None,
    tracing: bool | None = None,
) -> RunningServer:
    """Build, bind and start a service's gRPC server.

    Args:
        name: The service name (``identity``), used in logs.
        servicers: ``(add_XServicer_to_server, servicer)`` pairs.
        service_names: Full names of the services (``switchyard.identity.v1.IdentityService``);
            each gets a SERVING health status and is listed by reflection.
        principal_key: The HMAC key shared with the gateway (>= 32 bytes).
        host: Interface to bind (``0.0.0.0`` in containers).
        port: Port to bind; 0 picks a free one (see ``RunningServer.port``).
        max_workers: Size of the thread pool that runs non-async handlers; grpc's default when None.
        tracing: Install the OpenTelemetry server interceptor first in the chain; by default only
            when this process records spans (``switchyard.obs.tracing_enabled()``), since it costs
            on every call and has nothing to record otherwise.

    Returns:
        The running server.

    Raises:
        ValueError: The principal key is shorter than 32 bytes.
        RuntimeError: The address could not be bound.
    """
    if len(principal_key) < MIN_KEY_BYTES:
        raise ValueError(f"the principal key must be at least {MIN_KEY_BYTES} bytes")
    interceptors: list[grpc.aio.ServerInterceptor] = [
        PrincipalInterceptor(PrincipalVerifier(principal_key)),
        ExceptionToStatusInterceptor(),
    ]
    if tracing_enabled() if tracing is None else tracing:
        interceptors.insert(0, aio_server_interceptor(filter_=_traced))  # type: ignore[no-untyped-call]
    pool = ThreadPoolExecutor(max_workers=max_workers) if max_workers else None
    server = grpc.aio.server(migration_thread_pool=pool, interceptors=interceptors, options=SERVER_OPTIONS)
    for add, servicer in servicers:
        add(servicer, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for service in ("", *service_names):
        await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(
        [*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    try:
        bound = server.add_insecure_port(format_address(host, port))
    except RuntimeError as exc:
        raise RuntimeError(f"cannot bind gRPC server {name} to {format_address(host, port)}") from exc
    if bound == 0:
        raise RuntimeError(f"cannot bind gRPC server {name} to {format_address(host, port)}")
    await server.start()
    running = RunningServer(server=server, health=health_servicer, host=host, port=bound, name=name)
    log.info("grpc server started", service=name, address=running.address)
    return running


async def serve_forever(
    running: RunningServer,
    *,
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
    grace: float = 5.0,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT, then stop gracefully and run the shutdown hooks.

    Args:
        running: The server from ``start_server``.
        on_shutdown: Coroutines run in order after the server stopped (close pools, relays, ...).
            One hook failing is logged and does not skip the others.
        grace: Seconds in-flight calls may still run after shutdown begins.
        stop: An event the caller sets on its own signal handlers (installed before the service
            started, so a SIGTERM during start-up is not lost); when None, SIGTERM/SIGINT handlers
            are installed here for the duration.
    """
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT) if stop is None else ()
    stop = stop or asyncio.Event()
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        stopped = asyncio.ensure_future(stop.wait())
        terminated = asyncio.ensure_future(running.server.wait_for_termination())
        await asyncio.wait({stopped, terminated}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        await running.stop(grace)
        # Not cancelled above: grpc shares this future with shutdown, and cancelling it aborts stop().
        await terminated
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        for hook in on_shutdown:
            try:
                await hook()
            except Exception:
                log.exception("shutdown hook failed", service=running.name)


__all__ = [
    "SERVER_OPTIONS",
    "AddServicer",
    "RunningServer",
    "format_address",
    "serve_forever",
    "start_server",
]
