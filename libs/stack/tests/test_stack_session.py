"""A pytest run stops at its end only the servers it started itself."""

from __future__ import annotations

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
