"""Starting detached server processes, probing them and stopping them."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psutil

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_answers(port: int, host: str = LOOPBACK, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` names a live process (zombies count as dead)."""
    if pid <= 0:
        return False
    # When it is our own exited child, collect it now so it does not linger as a zombie.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def spawn_detached(
    argv: Sequence[str],
    *,
    log_file: Path,
    cwd: Path,
    env: dict[str, str] | None = None,
    user: str | None = None,
) -> int:
    """Start ``argv`` in its own session with stdio on ``log_file`` and return its pid.

    Nothing is inherited from us: stdin is /dev/null and stdout/stderr go to the log, so a harness that
    waits for our stdout to close never waits for a server that outlives us.

    Args:
        argv: Program and arguments.
        log_file: Appended to with the server's stdout and stderr.
        cwd: Working directory of the server.
        env: Environment; ``None`` inherits ours.
        user: Run as this system user (only when we are root).

    Returns:
        The pid of the started process.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    extra: dict[str, Any] = {}
    if user is not None:
        extra = {"user": user, "group": user, "extra_groups": []}
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
            close_fds=True,
            **extra,
        )
    # The server outlives this Popen object on purpose. Marking it done keeps Popen.__del__ from warning
    # about a running child; stop_pid (psutil) still reaps it while we are its parent.
    proc.returncode = 0
    return proc.pid


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, log_file: Path | None = None) -> None:
    """Poll ``check`` until it is true.

    Raises:
        TimeoutError: ``check`` stayed false; the message carries the log tail when given.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    tail = ""
    if log_file is not None and log_file.is_file():
        tail = "\n--- log tail ---\n" + "\n".join(log_file.read_text(errors="replace").splitlines()[-20:])
    raise TimeoutError(f"{what} not ready after {timeout}s{tail}")


def _gone(pid: int) -> bool:
    # pid_alive reaps our own children; a zombie whose parent is another process counts as gone too.
    return not pid_alive(pid)


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not _gone(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def stop_pid(pid: int, *, sig: signal.Signals = signal.SIGTERM, timeout: float = 15.0) -> bool:
    """Send ``sig``, wait up to ``timeout`` seconds for the process to exit, then SIGKILL.

    Returns:
        True when the process had to be killed.
    """
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    if _wait_gone(pid, timeout):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _wait_gone(pid, 5.0)
    return True
