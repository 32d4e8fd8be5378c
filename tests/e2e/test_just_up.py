"""``just up`` from a fresh data dir: every gRPC service healthy, register, log in and read ``/me`` over HTTP,
then stop cleanly.

The run gets its own ``SWITCHYARD_DATA_DIR`` and free ports, so it starts (and must stop) its own embedded
servers and never touches a developer's running ``just up``.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest
from switchyard.stack._children import grpc_serving
from switchyard.stack._paths import StackPaths
from switchyard.stack._stack import stack_status, stop_stack
from switchyard.testing import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 240.0  # `just up` first syncs the workspace, generates code, runs initdb and migrations
STOP_TIMEOUT = 60.0


@dataclass
class UpRun:
    """A running ``just up`` with its output collected line by line."""

    process: subprocess.Popen[str]
    data: Path
    gateway: str
    agent_address: str
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)
    eof: threading.Event = field(default_factory=threading.Event)

    def pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self.eof.set()
        self._queue.put(None)

    def wait_for_line(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
            if line.startswith(prefix):
                return line
        output = "\n".join(self.lines[-60:])
        code = self.process.poll()
        raise AssertionError(f"no line starting {prefix!r} (exit code {code}); output:\n{output}")

    def up_process(self) -> psutil.Process:
        """The ``python -m switchyard.stack.up`` process under just/uv."""
        root = psutil.Process(self.process.pid)
        for proc in [root, *root.children(recursive=True)]:
            if "switchyard.stack.up" in " ".join(proc.cmdline()):
                return proc
        raise AssertionError("switchyard.stack.up process not found")


def _command() -> list[str]:
    just = shutil.which("just")
    if just is None:
        return [sys.executable, "-m", "switchyard.stack.up"]
    return [just, "--justfile", str(ROOT / "justfile"), "--working-directory", str(ROOT), "up"]


@pytest.fixture
def up_run(tmp_path: Path) -> Iterator[UpRun]:
    data = tmp_path / ".data"
    own = {"DATABASE_URL", "REDIS_URL", "NATS_URL", "AGENTS_AGENT_GRPC_HOST", "AGENTS_AGENT_GRPC_ADDRESS"}
    env = {k: v for k, v in os.environ.items() if k not in own}
    gateway_port = free_port()
    env.update(
        SWITCHYARD_DATA_DIR=str(data),
        GATEWAY_PORT=str(gateway_port),
        IDENTITY_GRPC_PORT=str(free_port()),
        WORKERS_GRPC_PORT=str(free_port()),
        MUTATIONS_GRPC_PORT=str(free_port()),
        AGENTS_GRPC_PORT=str(free_port()),
        DEPLOY_GRPC_PORT=str(free_port()),
        INGEST_GRPC_PORT=str(free_port()),
        # The public agent.v1 port too, so this run never collides with a developer's `just up` on 9090.
        AGENTS_AGENT_GRPC_PORT=str(free_port()),
        PYTHONUNBUFFERED="1",
    )
    env.pop("IDENTITY_SMTP_HOST", None)
    process = subprocess.Popen(
        _command(),
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    run = UpRun(
        process=process,
        data=data,
        gateway=f"http://127.0.0.1:{gateway_port}",
        agent_address=f"127.0.0.1:{env['AGENTS_AGENT_GRPC_PORT']}",
    )
    threading.Thread(target=run.pump, daemon=True).start()
    try:
        yield run
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        # Whatever happened above, no server of this run may outlive the test.
        paths = StackPaths.resolve(data)
        stop_stack(paths)
        if paths.pg_home != paths.data:
            shutil.rmtree(paths.pg_home, ignore_errors=True)


def _auth(client: httpx.Client, path: str, body: dict[str, str]) -> dict[str, object]:
    response = client.post(path, json=body)
    assert response.status_code in (200, 201), f"{path}: {response.status_code} {response.text}"
    payload: dict[str, object] = response.json()
    return payload


def test_just_up_serves_the_api_and_stops_cleanly(up_run: UpRun) -> None:
    up_run.wait_for_line("ready", READY_TIMEOUT)
    banner = "\n".join(up_run.lines)
    owner = re.search(r"root owner\s+(\S+) / (\S+)", banner)
    assert owner is not None, up_run.lines
    grpc = dict(re.findall(r"^\s+(\w+) gRPC\s+(\S+)$", banner, re.MULTILINE))
    assert set(grpc) == {"identity", "workers", "mutations", "agents", "deploy", "ingest"}, up_run.lines
    # agents' second, public port (agent.v1) is printed apart: it is what agents dial, not a service API.
    assert re.findall(r"^\s+agent\.v1\s+(\S+)$", banner, re.MULTILINE) == [up_run.agent_address], up_run.lines
    assert {name: grpc_serving(address) for name, address in grpc.items()} == dict.fromkeys(grpc, True)
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.test"
    password = "correct horse battery staple 42"

    with httpx.Client(base_url=up_run.gateway, timeout=10.0) as client:
        assert client.get("/api/docs").status_code == 200
        _auth(client, "/api/auth/register", {"email": email, "password": password, "displayName": "E2E"})
        session = _auth(client, "/api/auth/login", {"email": email, "password": password})
        token = session["accessToken"]
        me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        root = _auth(client, "/api/auth/login", {"email": owner.group(1), "password": owner.group(2)})

    assert me.status_code == 200, me.text
    body = me.json()
    assert body["user"]["email"] == email
    assert any(m["role"] == "owner" for m in body["memberships"])
    assert any(m["isRoot"] and m["role"] == "owner" for m in root["memberships"])  # type: ignore[attr-defined]

    up = up_run.up_process()
    family = [up, *up.children(recursive=True)]  # the services, the gateway and the embedded servers
    commands = [" ".join(p.cmdline()) for p in family]
    for name in [*grpc, "gateway"]:
        assert any(f"switchyard.{name}" in command for command in commands), (name, commands)
    assert len(family) >= 5 + len(grpc), commands
    # SIGINT to the up process itself: a terminal Ctrl-C also reaches `just`, which then always exits 130.
    up.send_signal(signal.SIGINT)

    assert up_run.process.wait(STOP_TIMEOUT) == 0, "\n".join(up_run.lines[-40:])
    assert up_run.eof.wait(30), "a leftover process still holds our stdout"
    _, alive = psutil.wait_procs(family, timeout=10)
    assert alive == [], [p.cmdline() for p in alive]
    assert not any(grpc_serving(address) for address in grpc.values()), grpc
    assert not any(line.running for line in stack_status(StackPaths.resolve(up_run.data)))
