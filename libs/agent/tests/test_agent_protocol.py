"""The agent's loops against the scripted control plane (conftest) over real gRPC on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from agent.v1 import agent_pb2
from switchyard.agent.agent import Agent, Hooks
from switchyard.agent.commands import CommandLoop
from switchyard.agent.dispatch import Dispatcher
from switchyard.agent.handlers import HANDLERS

pytestmark = pytest.mark.integration
CT = agent_pb2.CommandType


class Sleeps:
    """An injectable sleep: records each wait and yields briefly instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0.01)


def _gated(sleeps: Sleeps, gate: asyncio.Event) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        sleeps.calls.append(seconds)
        await gate.wait()

    return sleep


@pytest.fixture
async def running_agent(
    control_plane: tuple[Any, str], tmp_path: Path, exits: Any, config_for: Any
) -> AsyncIterator[tuple[Agent, Any, dict[str, Sleeps]]]:
    plane, addr = control_plane
    sleeps = {"command": Sleeps(), "heartbeat": Sleeps(), "shipper": Sleeps()}
    heartbeat_gate = asyncio.Event()
    hooks = Hooks(
        command_sleep=sleeps["command"],
        # Heartbeats wait until a test opens the gate, so the count stays small and checkable.
        heartbeat_sleep=_gated(sleeps["heartbeat"], heartbeat_gate),
        shipper_sleep=sleeps["shipper"],
        exit_hook=exits,
    )
    plane.heartbeat_interval = 7
    agent = Agent(config_for(tmp_path, addr), hooks=hooks)
    agent.heartbeat_gate = heartbeat_gate  # type: ignore[attr-defined]
    task = asyncio.ensure_future(agent.run())
    try:
        yield agent, plane, sleeps
    finally:
        agent.stop.set()
        await asyncio.wait_for(task, 10)


async def test_every_call_carries_bearer_secret_and_server_id(running_agent: Any, wait: Any) -> None:
    agent, plane, _ = running_agent
    await wait(lambda: plane.streams_opened == 1 and plane.heartbeats)
    plane.push("ping-1", CT.COMMAND_TYPE_AGENT_PING)
    await wait(lambda: plane.final("ping-1") is not None)
    logging_line = "switchyard-agent protocol test line"
    agent.buffer.add(agent_pb2.LogEntry(source="agent", level="warn", message=logging_line))
    await wait(lambda: any(e.message == logging_line for e in plane.log_entries))
    methods = {method for method, _ in plane.calls}
    assert {"Heartbeat", "CommandStream", "AckCommand", "PushLogs"} <= methods
    for method, metadata in plane.calls:
        assert metadata.get("authorization") == f"Bearer {agent.config.agent_secret}", method
        assert metadata.get("server-id") == agent.config.server_id, method


async def test_ack_precedes_progress_frames_and_exactly_one_final(
    running_agent: Any, wait: Any, tmp_path: Path
) -> None:
    agent, plane, _ = running_agent
    await wait(lambda: plane.streams_opened == 1)
    (tmp_path / "dwaar").mkdir()
    agent.config.dwaarfile.write_text("{\n    email ops@example.com\n}\n")
    plane.push(
        "route-1",
        CT.COMMAND_TYPE_ROUTE_ADD,
        b'{"domain":"a.example","upstream_host":"127.0.0.1","upstream_port":8080}',
    )
    plane.push("ping-2", CT.COMMAND_TYPE_AGENT_PING)
    await wait(lambda: plane.final("route-1") is not None and plane.final("ping-2") is not None)
    for command_id in ("route-1", "ping-2"):
        kinds = [
            ("ack" if kind == "ack" else ("final" if e.is_final else "progress"))
            for kind, e in plane.events
            if e.command_id == command_id
        ]
        assert kinds[0] == "ack"
        assert kinds[-1] == "final"
        assert kinds.count("final") == 1
        assert set(kinds[1:-1]) <= {"progress"}
    ack = next(e for kind, e in plane.events if kind == "ack" and e.command_id == "ping-2")
    assert (ack.server_id, ack.phase) == (agent.config.server_id, "received")
    progress = [r for r in plane.results("route-1") if not r.is_final]
    assert progress, "route add reports the missing dwaar binary as a progress line"
    assert all(r.status == "running" and r.output.endswith(b"\n") for r in progress)
    ping = json.loads(plane.final("ping-2").output)  # type: ignore[union-attr]
    assert ping["agent_version"] == "9.9.9-test"
    assert ping["agent_time_nanos"] > 0


async def test_restart_self_answers_queued_then_calls_the_exit_hook(
    running_agent: Any, wait: Any, exits: Any
) -> None:
    _, plane, _ = running_agent
    await wait(lambda: plane.streams_opened == 1)
    plane.push("restart-1", CT.COMMAND_TYPE_RESTART_SELF)
    await wait(lambda: plane.final("restart-1") is not None)
    final = plane.final("restart-1")
    assert final is not None
    assert final.status == "queued"
    assert json.loads(final.output) == {"message": "agent restart queued", "scheduled_in_seconds": 1}
    assert exits.codes == []  # not before the queued frame had its second to leave
    await wait(lambda: exits.codes == [0], seconds=5)


async def test_heartbeat_carries_metrics_and_honours_the_server_interval(
    running_agent: Any, wait: Any
) -> None:
    agent, plane, sleeps = running_agent
    await wait(lambda: len(plane.heartbeats) >= 1)
    first = plane.heartbeats[0]
    assert first.agent_version == "9.9.9-test"
    assert first.disk_server_id == agent.config.server_id
    assert first.docker_reachable is False
    assert first.system.memory_total_mb > 0
    assert first.system.cpu_cores > 0
    assert first.system.arch
    assert first.system.uptime_seconds > 0
    assert first.system.disk_total_mb > 0
    await wait(lambda: sleeps["heartbeat"].calls == [7.0])
    plane.heartbeat_interval = 2  # below the 5 s floor
    agent.heartbeat_gate.set()
    await wait(lambda: 5.0 in sleeps["heartbeat"].calls)
    calls = sleeps["heartbeat"].calls
    assert calls[0] == 7.0
    assert set(calls) == {7.0, 5.0}  # never the 30 s default again, never below the 5 s floor


async def test_backoff_doubles_to_30_and_resets_after_a_successful_open(
    control_plane: tuple[Any, str], tmp_path: Path, wait: Any, config_for: Any
) -> None:
    plane, addr = control_plane
    plane.reject_streams = 7
    sleeps = Sleeps()
    config = config_for(tmp_path, addr)
    from switchyard.agent.context import HandlerContext
    from switchyard.agent.process_driver import ProcessDriver

    dispatcher = Dispatcher(HandlerContext(config=config, driver=ProcessDriver(config.apps_dir)), HANDLERS)
    loop = CommandLoop(config, dispatcher, sleep=sleeps)
    stop = asyncio.Event()
    task = asyncio.ensure_future(loop.run(stop))
    try:
        await wait(lambda: plane.streams_opened == 1 and loop.backoff == 1.0)  # reset once open
        assert sleeps.calls == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
        plane.reject_streams = 1
        plane.end_stream()  # clean EOF: wait the (reset) backoff, reconnect, get refused, wait doubled
        await wait(lambda: plane.streams_opened == 2 and len(sleeps.calls) == 9)
        assert sleeps.calls[7:] == [1.0, 2.0]
        assert plane.stream_attempts == 10
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_the_console_entry_point_serves_until_sigterm(
    control_plane: tuple[Any, str], tmp_path: Path, wait: Any
) -> None:
    plane, addr = control_plane
    env = {
        "PATH": os.environ.get("PATH", ""),
        "BACKEND_GRPC_ADDR": addr,
        "SERVER_ID": "srv_entry",
        "AGENT_INSECURE": "true",
        "SWITCHYARD_AGENT_ENV_FILE": str(tmp_path / "absent.env"),
        "SWITCHYARD_AGENT_STATE_DIR": str(tmp_path / "state"),
    }
    (tmp_path / "agent.env").write_text("AGENT_SECRET=from-env-file\n")
    env["SWITCHYARD_AGENT_ENV_FILE"] = str(tmp_path / "agent.env")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "switchyard.agent", env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        await wait(lambda: plane.streams_opened == 1 and plane.heartbeats, seconds=20)
        plane.push("entry-ping", CT.COMMAND_TYPE_AGENT_PING)
        await wait(lambda: plane.final("entry-ping") is not None)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert all(m.get("authorization") == "Bearer from-env-file" for _, m in plane.calls)
    assert "agent stopped" in (tmp_path / "state" / "agent.log").read_text()
