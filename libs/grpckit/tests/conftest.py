"""A bytes-in/bytes-out test service served through the real grpckit server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict
from typing import Any

import grpc
import grpc.aio
import pytest
from opentelemetry import trace
from switchyard.grpckit import errors
from switchyard.grpckit.client import create_channel
from switchyard.grpckit.principal import get_principal
from switchyard.grpckit.server import RunningServer, start_server
from switchyard.obs import request_id_var

SERVICE = "switchyard.test.v1.ProbeService"


class Probe:
    """Handlers whose behaviour is chosen by the request bytes; records what it saw."""

    def __init__(self, label: str = "probe") -> None:
        self.label = label
        self.calls = 0

    async def whoami(self, request: bytes, context: Any) -> bytes:
        self.calls += 1
        body = {
            **asdict(get_principal()),
            "request_id": request_id_var.get(),
            "label": self.label,
            "trace_id": format(trace.get_current_span().get_span_context().trace_id, "032x"),
        }
        return json.dumps(body).encode()

    async def fail(self, request: bytes, context: Any) -> bytes:
        self.calls += 1
        kind, _, detail = request.decode().partition(":")
        if kind == "domain":
            options = json.loads(detail or "{}")
            error_cls = getattr(errors, options.pop("cls"))
            raise error_cls(options.pop("message"), **options)
        raise RuntimeError(f"database password is {detail}")

    async def count(self, request: bytes, context: Any) -> AsyncIterator[bytes]:
        self.calls += 1
        for number in range(int(request.decode())):
            yield str(number).encode()
        raise errors.Conflict("stream ended in conflict", fields={"reason": "late"})

    async def count_by_write(self, request: bytes, context: Any) -> None:
        self.calls += 1
        await context.write(b"written")
        raise errors.NotFound("gone after one write")


def add_probe(probe: Probe, server: grpc.aio.Server) -> None:
    handler = grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "WhoAmI": grpc.unary_unary_rpc_method_handler(probe.whoami),
            "Fail": grpc.unary_unary_rpc_method_handler(probe.fail),
            "Count": grpc.unary_stream_rpc_method_handler(probe.count),
            "CountByWrite": grpc.unary_stream_rpc_method_handler(probe.count_by_write),
        },
    )
    server.add_generic_rpc_handlers((handler,))


StartProbe = Callable[..., Awaitable[RunningServer]]


@pytest.fixture
async def start_probe(principal_key: bytes) -> AsyncIterator[StartProbe]:
    """Start extra probe servers labelled by the argument; they are stopped after the test."""
    started: list[RunningServer] = []

    async def start(label: str, *, tracing: bool | None = None) -> RunningServer:
        running = await start_server(
            name=label,
            servicers=[(add_probe, Probe(label))],
            service_names=[SERVICE],
            principal_key=principal_key,
            tracing=tracing,
        )
        started.append(running)
        return running

    yield start
    for running in started:
        await running.stop(0)


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
async def probe_server(principal_key: bytes, probe: Probe) -> AsyncIterator[RunningServer]:
    running = await start_server(
        name="probe", servicers=[(add_probe, probe)], service_names=[SERVICE], principal_key=principal_key
    )
    yield running
    await running.stop(0)


@pytest.fixture
async def channel(probe_server: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    chan = create_channel(probe_server.address)
    yield chan
    await chan.close()
