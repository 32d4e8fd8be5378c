"""Service processes started by ``just up``: spawn, wait for health, stop."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

STOP_TIMEOUT = 10.0


@dataclass(slots=True)
class Child:
    """A running service process.

    Attributes:
        name: Service name, for messages.
        process: The process (stdio on ``log``).
        log: Its log file.
    """

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        """The last ``lines`` lines of the log, for error messages."""
        text = self.log.read_text(errors="replace") if self.log.is_file() else ""
        return "\n".join(text.splitlines()[-lines:])


def spawn(name: str, argv: Sequence[str], *, env: dict[str, str], log: Path, cwd: Path) -> Child:
    """Start a service in its own session (so we alone decide when it stops) with stdio on ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            list(argv),
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Child(name=name, process=process, log=log)


def grpc_serving(address: str) -> bool:
    """Whether ``grpc.health.v1`` at ``address`` reports SERVING for the whole server."""
    try:
        with grpc.insecure_channel(address) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=1.0
            )
    except grpc.RpcError:
        return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def http_ok(url: str) -> bool:
    """Whether ``GET url`` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:  # noqa: S310 - our own http:// URL
            return bool(response.status == 200)
    except OSError:
        return False


def wait_healthy(child: Child, check: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``check`` until true; fail early with the log tail when the process exits.

    Raises:
        RuntimeError: The process exited or stayed unhealthy for ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while not check():
        code = child.process.poll()
        if code is not None:
            raise RuntimeError(
                f"{child.name} exited with {code} before {what}; {child.log}:\n{child.log_tail()}"
            )
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{child.name}: no {what} after {timeout}s; {child.log}:\n{child.log_tail()}")
        time.sleep(0.1)


def stop_children(children: Sequence[Child], *, timeout: float = STOP_TIMEOUT) -> None:
    """Stop children last-started first: SIGTERM, wait up to ``timeout``, then SIGKILL their process group."""
    for child in reversed(children):
        if child.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)
        try:
            child.process.wait(timeout)
        except subprocess.TimeoutExpired:
            # Each child leads its own session, so the group also takes any workers it forked.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait(5)
