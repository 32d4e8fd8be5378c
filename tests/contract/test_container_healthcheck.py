"""deploy/docker/healthcheck.py, run as Docker runs it, against real gRPC and HTTP servers."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from switchyard.testing import free_port

pytestmark = pytest.mark.integration

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def probe(repo: Path, *args: str) -> int:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(repo / "deploy/docker/healthcheck.py"), *args
    )
    return await asyncio.wait_for(process.wait(), timeout=30)


@pytest.fixture
async def health_server() -> AsyncIterator[tuple[str, health.aio.HealthServicer]]:
    server = grpc.aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}", servicer
    finally:
        await server.stop(0)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/readyz" else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_grpc_serving_is_healthy(
    repo: Path, health_server: tuple[str, health.aio.HealthServicer]
) -> None:
    target, servicer = health_server
    await servicer.set("", SERVING)
    assert await probe(repo, "grpc", target) == 0


async def test_grpc_not_serving_is_unhealthy(
    repo: Path, health_server: tuple[str, health.aio.HealthServicer]
) -> None:
    # What a replica reports after enter_graceful_shutdown(): compose must stop routing to it.
    target, servicer = health_server
    await servicer.set("", NOT_SERVING)
    assert await probe(repo, "grpc", target) == 1


async def test_grpc_checks_a_named_service(
    repo: Path, health_server: tuple[str, health.aio.HealthServicer]
) -> None:
    target, servicer = health_server
    await servicer.set("switchyard.identity.v1.IdentityService", SERVING)
    assert await probe(repo, "grpc", target, "switchyard.identity.v1.IdentityService") == 0
    assert await probe(repo, "grpc", target, "switchyard.unknown.v1.NopeService") == 1


async def test_grpc_without_a_server_is_unhealthy(repo: Path) -> None:
    assert await probe(repo, "grpc", f"127.0.0.1:{free_port()}") == 1


async def test_http_2xx_is_healthy_and_anything_else_is_not(repo: Path, http_server: str) -> None:
    assert await probe(repo, "http", f"{http_server}/readyz") == 0
    assert await probe(repo, "http", f"{http_server}/down") == 1
    assert await probe(repo, "http", f"http://127.0.0.1:{free_port()}/readyz") == 1


async def test_bad_usage_is_refused(repo: Path) -> None:
    assert await probe(repo, "http", "file:///etc/passwd") == 2
    assert await probe(repo, "tcp", "127.0.0.1:1") == 2
