"""Health, reflection, graceful shutdown and signal handling of the grpckit server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from switchyard.grpckit.client import create_channel
from switchyard.grpckit.principal import METADATA_KEY
from switchyard.grpckit.server import RunningServer, start_server

pytestmark = pytest.mark.integration

SERVICE = "switchyard.test.v1.ProbeService"

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.mark.parametrize("service", ["", SERVICE])
async def test_health_answers_serving(channel: grpc.aio.Channel, service: str) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
    assert reply.status == SERVING


async def test_health_needs_no_principal_even_when_a_bad_one_is_sent(channel: grpc.aio.Channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    reply = await stub.Check(
        health_pb2.HealthCheckRequest(service=SERVICE), metadata=((METADATA_KEY, "forged.token"),), timeout=5
    )
    assert reply.status == SERVING


async def test_health_of_an_unknown_service_is_not_found(channel: grpc.aio.Channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_reflection_lists_the_service(channel: grpc.aio.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)

    async def one_request() -> object:
        yield reflection_pb2.ServerReflectionRequest(list_services="")

    names = set()
    async for reply in stub.ServerReflectionInfo(one_request(), timeout=5):
        names.update(service.name for service in reply.list_services_response.service)
    assert SERVICE in names
    assert "grpc.health.v1.Health" in names


async def test_health_turns_not_serving_during_graceful_shutdown(start_probe: Any) -> None:
    running = await start_probe("draining")
    channel = create_channel(running.address)
    try:
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=SERVICE))
        first = await watch.read()
        assert first.status == SERVING
        stopping = asyncio.create_task(running.stop(grace=2))
        second = await asyncio.wait_for(watch.read(), timeout=10)
        assert second.status == NOT_SERVING
        await stopping
    finally:
        await channel.close()
    # Once stopped, the server refuses new calls.
    after = create_channel(running.address)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await health_pb2_grpc.HealthStub(after).Check(health_pb2.HealthCheckRequest(), timeout=2)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await after.close()


async def test_stop_lets_an_in_flight_call_finish(principal_key: bytes) -> None:
    release = asyncio.Event()
    entered = asyncio.Event()

    async def slow(request: bytes, context: object) -> bytes:
        entered.set()
        await release.wait()
        return b"finished"

    def add(_servicer: object, server: grpc.aio.Server) -> None:
        handler = grpc.method_handlers_generic_handler(
            "switchyard.test.v1.SlowService", {"Slow": grpc.unary_unary_rpc_method_handler(slow)}
        )
        server.add_generic_rpc_handlers((handler,))

    running = await start_server(
        name="slow", servicers=[(add, None)], service_names=[], principal_key=principal_key
    )
    channel = create_channel(running.address)
    try:
        call = asyncio.ensure_future(
            channel.unary_unary("/switchyard.test.v1.SlowService/Slow")(b"", timeout=10)
        )
        await entered.wait()
        stopping = asyncio.create_task(running.stop(grace=10))
        release.set()
        assert await call == b"finished"
        await stopping
    finally:
        await channel.close()


async def test_short_principal_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        await start_server(name="weak", servicers=[], service_names=[], principal_key=b"short")


async def test_address_reports_the_bound_port(probe_server: RunningServer) -> None:
    assert probe_server.port > 0
    assert probe_server.address == f"127.0.0.1:{probe_server.port}"


SERVE_SCRIPT = textwrap.dedent(
    """
    import asyncio, os, sys
    from switchyard.grpckit.server import serve_forever, start_server
    from switchyard.obs import setup_logging

    async def main() -> None:
        setup_logging("sig")
        running = await start_server(name="sig", servicers=[], service_names=[], principal_key=os.urandom(32))

        async def close_pools() -> None:
            print("closed", flush=True)

        print(running.port, flush=True)
        await serve_forever(running, on_shutdown=[close_pools], grace=1)
        print("exited", flush=True)

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_serve_forever_stops_on_signal_and_runs_shutdown_hooks(tmp_path: Path, sig: int) -> None:
    script = tmp_path / "serve.py"
    script.write_text(SERVE_SCRIPT)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ},
    )
    assert process.stdout is not None
    port = int(await asyncio.wait_for(process.stdout.readline(), timeout=30))
    channel = create_channel(f"127.0.0.1:{port}")
    try:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert reply.status == SERVING
    finally:
        await channel.close()
    process.send_signal(sig)
    out, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
    assert out.decode().split() == ["closed", "exited"]
