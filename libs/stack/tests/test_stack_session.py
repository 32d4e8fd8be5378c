"""A pytest run stops at its end only the servers it started itself."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from switchyard.stack._paths import StackPaths
from switchyard.stack._session import session_stack
from switchyard.stack._stack import stack_status, start_stack, stop_stack

pytestmark = pytest.mark.integration


def _running(paths: StackPaths) -> dict[str, bool]:
    return {line.name: line.running for line in stack_status(paths)}


def test_session_stops_what_it_started(
    fresh_project: Callable[[], StackPaths], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = fresh_project()
    monkeypatch.setenv("SWITCHYARD_DATA_DIR", str(paths.data))

    with session_stack() as urls:
        assert _running(paths) == {"postgres": True, "valkey": True, "nats": True}
        assert urls.database_url.endswith("/switchyard")

    assert _running(paths) == {"postgres": False, "valkey": False, "nats": False}


def test_session_leaves_already_running_servers_alone(
    fresh_project: Callable[[], StackPaths], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = fresh_project()
    monkeypatch.setenv("SWITCHYARD_DATA_DIR", str(paths.data))
    developer = start_stack(paths)  # as if `just up` were running
    stop_stack(paths, names=["nats"])  # ... with one server gone

    with session_stack() as urls:
        assert urls == developer.urls

    assert _running(paths) == {"postgres": True, "valkey": True, "nats": False}


_OTHER_RUN = """
import sys
from switchyard.stack._lease import acquire_stack, release_stack
acquire_stack()
print("acquired", flush=True)
sys.stdin.read()
print("released", release_stack(), flush=True)
"""


def test_servers_outlive_a_run_while_another_run_uses_them(
    fresh_project: Callable[[], StackPaths], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = fresh_project()
    monkeypatch.setenv("SWITCHYARD_DATA_DIR", str(paths.data))
    env = {**os.environ, "SWITCHYARD_DATA_DIR": str(paths.data)}

    with session_stack():
        pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
        other = subprocess.Popen([sys.executable, "-c", _OTHER_RUN], env=env, text=True, **pipes)
        assert other.stdout is not None
        assert other.stdout.readline().strip() == "acquired"

    # This run started the servers, but the other run still holds them.
    assert _running(paths) == {"postgres": True, "valkey": True, "nats": True}

    out, _ = other.communicate("", timeout=60)
    assert other.returncode == 0
    assert "postgres" in out
    assert _running(paths) == {"postgres": False, "valkey": False, "nats": False}
