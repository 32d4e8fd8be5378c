"""A scripted control plane for the agent's protocol tests, and helpers for the handler tests.

``ControlPlane`` is a real grpc.aio server implementing ``agent.v1.AgentService``'s server side on
127.0.0.1:0. It records the metadata of every call, pushes the commands a test queues, and collects
acks and result frames in one ordered event list, so a test can assert "ack before results". It can
refuse the next N stream opens (UNAUTHENTICATED) and end the current stream cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from agent.v1 import agent_pb2, agent_pb2_grpc
from switchyard.agent.config import AgentConfig
from switchyard.agent.context import HandlerContext
from switchyard.agent.frames import Progress
from switchyard.agent.process_driver import ProcessDriver

SECRET = "agent-secret-" + "x" * 20
SERVER_ID = "srv_0123456789"


async def wait_until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll ``predicate`` until true; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@dataclass
class ControlPlane(agent_pb2_grpc.AgentServiceServicer):
    """The server side of AgentService, scripted by the test."""

    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    events: list[tuple[str, Any]] = field(default_factory=list)
    heartbeats: list[agent_pb2.HeartbeatRequest] = field(default_factory=list)
    log_entries: list[agent_pb2.LogEntry] = field(default_factory=list)
    heartbeat_interval: int = 0
    app_containers: list[agent_pb2.AppContainerMapping] = field(default_factory=list)
    reject_streams: int = 0
    stream_attempts: int = 0
    streams_opened: int = 0
    commands: asyncio.Queue[agent_pb2.Command | None] = field(default_factory=asyncio.Queue)

    def _record(self, method: str, context: grpc.aio.ServicerContext) -> None:
        self.calls.append((method, {k: v for k, v in context.invocation_metadata() or ()}))

    def push(self, command_id: str, command_type: int, payload: bytes = b"") -> None:
        """Queue a command for the open stream."""
        self.commands.put_nowait(agent_pb2.Command(id=command_id, type=command_type, payload=payload))

    def end_stream(self) -> None:
        """End the current stream cleanly (the agent should reconnect after its backoff)."""
        self.commands.put_nowait(None)

    def results(self, command_id: str) -> list[agent_pb2.CommandResult]:
        """Result frames of one command, in arrival order."""
        return [e for kind, e in self.events if kind == "result" and e.command_id == command_id]

    def final(self, command_id: str) -> agent_pb2.CommandResult | None:
        """The final frame of one command, if it arrived."""
        finals = [r for r in self.results(command_id) if r.is_final]
        return finals[0] if finals else None

    async def Heartbeat(self, request: Any, context: Any) -> agent_pb2.HeartbeatResponse:
        self._record("Heartbeat", context)
        self.heartbeats.append(request)
        return agent_pb2.HeartbeatResponse(
            accepted=True,
            heartbeat_interval_seconds=self.heartbeat_interval,
            app_containers=self.app_containers,
        )

    async def AckCommand(self, request: Any, context: Any) -> agent_pb2.CommandAckResponse:
        self._record("AckCommand", context)
        self.events.append(("ack", request))
        return agent_pb2.CommandAckResponse()

    async def PushLogs(self, request_iterator: Any, context: Any) -> agent_pb2.LogAck:
        self._record("PushLogs", context)
        count = 0
        async for batch in request_iterator:
            self.log_entries.extend(batch.entries)
            count += len(batch.entries)
        return agent_pb2.LogAck(accepted=True, received_count=count)

    async def CommandStream(self, request_iterator: Any, context: Any) -> AsyncIterator[agent_pb2.Command]:
        self._record("CommandStream", context)
        self.stream_attempts += 1
        if self.reject_streams > 0:
            self.reject_streams -= 1
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid agent credentials")
        await context.send_initial_metadata(())
        self.streams_opened += 1

        async def collect() -> None:
            async for result in request_iterator:
                self.events.append(("result", result))

        reader = asyncio.ensure_future(collect())
        try:
            while (command := await self.commands.get()) is not None:
                yield command
        finally:
            # Let in-flight frames arrive before the stream closes.
            await asyncio.sleep(0.05)
            reader.cancel()


@pytest.fixture
async def control_plane() -> AsyncIterator[tuple[ControlPlane, str]]:
    """A running scripted control plane and its ``host:port``."""
    plane = ControlPlane()
    server = grpc.aio.server()
    agent_pb2_grpc.add_AgentServiceServicer_to_server(plane, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield plane, f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


def make_config(tmp_path: Path, addr: str = "127.0.0.1:1", **overrides: Any) -> AgentConfig:
    """A config whose every path lives under ``tmp_path``."""
    values: dict[str, Any] = {
        "backend_addr": addr,
        "server_id": SERVER_ID,
        "agent_secret": SECRET,
        "insecure": True,
        "version": "9.9.9-test",
        "env_file": tmp_path / "agent.env",
        "state_dir": tmp_path / "state",
        "apps_dir": tmp_path / "state" / "apps",
        "dwaarfile": tmp_path / "dwaar" / "Dwaarfile",
        "routes_dir": tmp_path / "dwaar" / "apps",
    }
    values.update(overrides)
    return AgentConfig(**values)


class FrameRecorder:
    """Collects what a handler sends through its Progress."""

    def __init__(self) -> None:
        self.frames: list[agent_pb2.CommandResult] = []

    async def send(self, frame: agent_pb2.CommandResult) -> None:
        self.frames.append(frame)

    def progress(self, command_id: str = "cmd-1") -> Progress:
        return Progress(command_id, self.send)

    @property
    def lines(self) -> list[str]:
        return [f.output.decode().rstrip("\n") for f in self.frames if not f.is_final]


@dataclass
class Exits:
    """Records exit-hook calls instead of ending the test process."""

    codes: list[int] = field(default_factory=list)

    def __call__(self, code: int) -> None:
        self.codes.append(code)


@pytest.fixture
def exits() -> Exits:
    return Exits()


@pytest.fixture
def ctx(tmp_path: Path, exits: Exits) -> Iterator[HandlerContext]:
    """A handler context on tmp paths; app processes it started are stopped afterwards."""
    config = make_config(tmp_path)
    driver = ProcessDriver(config.apps_dir)
    context = HandlerContext(
        config=config,
        driver=driver,
        exit_hook=exits,
        docker_socket=tmp_path / "no-docker.sock",
        health_timeout=15.0,
    )
    yield context
    # App processes run in their own session; kill whatever a test left behind.
    for record in config.apps_dir.glob("*/releases/*/release.json"):
        pid = json.loads(record.read_text()).get("pid", 0)
        if pid > 0:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def wait() -> Callable[..., Any]:
    """The ``wait_until`` poller."""
    return wait_until


@pytest.fixture
def config_for() -> Callable[..., AgentConfig]:
    """``make_config(tmp_path, addr, **overrides)``."""
    return make_config


@pytest.fixture
def recorder() -> FrameRecorder:
    """Collects a handler's progress frames."""
    return FrameRecorder()
