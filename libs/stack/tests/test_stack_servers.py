"""Start, reuse, stop and restart the embedded servers; each one really answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import nats
import pytest
import redis.asyncio as aioredis
from switchyard.stack._paths import StackPaths
from switchyard.stack._proc import pid_alive, port_answers
from switchyard.stack._stack import stack_status, start_stack, stop_stack
from switchyard.stack._state import load_state

pytestmark = pytest.mark.integration


def _pids(paths: StackPaths) -> dict[str, int]:
    return {line.name: line.pid for line in stack_status(paths)}


async def test_each_server_answers_its_protocol(project: StackPaths) -> None:
    urls = start_stack(project).urls

    conn = await asyncpg.connect(urls.database_url)
    try:
        assert await conn.fetchval("SELECT current_database()") == "switchyard"
    finally:
        await conn.close()
    client = aioredis.from_url(urls.redis_url)
    try:
        assert await client.ping() is True
    finally:
        await client.aclose()
    nc = await nats.connect(urls.nats_url)
    try:
        info = await nc.jetstream().account_info()
        assert info.limits is not None
    finally:
        await nc.close()


def test_second_start_reuses_running_servers(project: StackPaths) -> None:
    first = start_stack(project)
    pids = _pids(project)

    again = start_stack(project)

    assert again.started == ()
    assert again.urls == first.urls
    assert _pids(project) == pids
    assert all(pids.values())


def test_servers_are_detached_from_our_session_and_stdio(project: StackPaths) -> None:
    start_stack(project)

    for name, pid in _pids(project).items():
        assert os.getsid(pid) != os.getsid(0), name
        assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null", name
        assert os.readlink(f"/proc/{pid}/fd/1").startswith(str(project.logs)), name


async def test_stop_then_start_keeps_ports_and_data(project: StackPaths) -> None:
    urls = start_stack(project).urls
    conn = await asyncpg.connect(urls.database_url)
    await conn.execute("CREATE TABLE IF NOT EXISTS kept (v int); INSERT INTO kept VALUES (42)")
    await conn.close()
    old_pids = _pids(project)
    ports = {name: rec.port for name, rec in load_state(project.state_file).servers.items()}

    stopped = stop_stack(project)

    assert sorted(stopped) == ["nats", "postgres", "valkey"]
    assert not any(pid_alive(pid) for pid in old_pids.values())
    assert not any(port_answers(port) for port in ports.values())
    assert not any(line.running for line in stack_status(project))

    restarted = start_stack(project)

    assert sorted(restarted.started) == ["nats", "postgres", "valkey"]
    assert restarted.urls == urls
    conn = await asyncpg.connect(restarted.urls.database_url)
    try:
        assert await conn.fetchval("SELECT sum(v) FROM kept") == 42
    finally:
        await conn.close()
    # initdb ran once: a second run would have logged a second "Success".
    assert (project.logs / "initdb.log").read_text().count("Success") == 1


def test_cli_env_status_and_down(project: StackPaths) -> None:
    urls = start_stack(project).urls
    env = {**os.environ, "SWITCHYARD_DATA_DIR": str(project.data)}
    for name in ("DATABASE_URL", "REDIS_URL", "NATS_URL"):
        env.pop(name, None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "switchyard.stack", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    printed = cli("env")
    assert printed.returncode == 0, printed.stderr
    assert f"export DATABASE_URL={urls.database_url}" in printed.stdout
    assert f"export NATS_URL={urls.nats_url}" in printed.stdout
    assert "running pid" in cli("status").stdout

    down = cli("down")

    assert down.returncode == 0
    assert "postgres" in down.stdout
    assert cli("env").returncode == 1
    assert "stopped" in cli("status").stdout


def test_root_keeps_postgres_data_out_of_the_checkout(project: StackPaths) -> None:
    if os.geteuid() == 0:
        assert project.pg_data.is_relative_to(Path("/var/tmp"))  # noqa: S108 - the documented location
        assert not project.pg_data.is_relative_to(project.data.parent)
    else:
        assert project.pg_data == project.data / "pg"
