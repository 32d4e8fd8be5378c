"""``stack.json`` round trip and URL building."""

from __future__ import annotations

from pathlib import Path

import pytest
from switchyard.stack import StackUrls, urls_from_env, with_env_overrides
from switchyard.stack._stack import urls_for
from switchyard.stack._state import ServerRecord, StackState, load_state, save_state

pytestmark = pytest.mark.unit


def test_state_round_trips_through_the_file(tmp_path: Path) -> None:
    state = StackState(
        servers={
            "postgres": ServerRecord(port=40001, pid=11),
            "valkey": ServerRecord(port=40002, pid=0),
            "nats": ServerRecord(port=40003, pid=13),
        }
    )
    path = tmp_path / "stack.json"

    save_state(path, state)

    assert load_state(path) == state
    assert [p.name for p in tmp_path.iterdir()] == ["stack.json"]


def test_missing_file_is_an_empty_state(tmp_path: Path) -> None:
    assert load_state(tmp_path / "absent.json") == StackState()


def test_unknown_keys_are_ignored_and_pid_defaults_to_stopped() -> None:
    text = '{"servers": {"nats": {"port": 4999}}, "future": true}'

    state = StackState.from_json(text)

    assert state.servers == {"nats": ServerRecord(port=4999, pid=0)}
    assert state.database == "switchyard"


def test_urls_use_loopback_and_the_remembered_ports() -> None:
    state = StackState(
        servers={
            name: ServerRecord(port=port) for name, port in (("postgres", 1), ("valkey", 2), ("nats", 3))
        }
    )

    urls = urls_for(state)

    assert urls.database_url == "postgresql://postgres@127.0.0.1:1/switchyard"
    assert urls.redis_url == "redis://127.0.0.1:2/0"
    assert urls.nats_url == "nats://127.0.0.1:3"


def test_env_urls_win_only_when_all_three_are_set() -> None:
    full = {"DATABASE_URL": "postgresql://x/y", "REDIS_URL": "redis://r", "NATS_URL": "nats://n"}

    assert urls_from_env({**full, "NATS_URL": ""}) is None
    urls = urls_from_env(full)
    assert urls is not None
    assert urls.as_env() == full


def test_single_env_url_overrides_only_its_server() -> None:
    embedded = StackUrls(database_url="postgresql://e/db", redis_url="redis://e/0", nats_url="nats://e")

    got = with_env_overrides(embedded, {"DATABASE_URL": "postgresql://mine/db", "NATS_URL": " "})

    assert got == StackUrls(database_url="postgresql://mine/db", redis_url="redis://e/0", nats_url="nats://e")
