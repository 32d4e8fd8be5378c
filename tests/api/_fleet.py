"""Helpers for the fleet end-to-end tests: the reference agent as a separate OS process, more agents
replicas on the run's stores, enrolment over REST and polling.

Fixtures defined here are imported by the test modules that use them (conftest.py stays small).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from switchyard.gateway.config import Settings as GatewaySettings

# What the reference agent logs before each CommandStream reconnect (libs/agent commands.py).
RECONNECT_LINE = re.compile(r"command stream reconnect (\d+) in (\d+\.\d+)s")
# Small bounds so a test sees the whole doubling sequence in about two seconds.
BACKOFF_SECONDS = "0.2"
BACKOFF_MAX_SECONDS = "1"


async def until(check: Callable[[], Awaitable[Any]], seconds: float = 60, what: str = "") -> Any:
    """Poll an async check until it returns something truthy (no timing is asserted, only a bound)."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                value = await check()
                if value:
                    return value
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"gave up waiting for {what or check}") from None


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


class AgentProcess:
    """``python -m switchyard.agent`` in its own process, with its files under ``root``."""

    def __init__(self, address: str, server_id: str, secret: str, root: Path) -> None:
        self.address = address
        self.server_id = server_id
        self.secret = secret
        self.root = root
        self.state_dir = root / "state"
        self.proc: asyncio.subprocess.Process | None = None

    def env(self) -> dict[str, str]:
        """The agent's environment: its settings only; nothing read from /etc."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            "BACKEND_GRPC_ADDR": self.address,
            "SERVER_ID": self.server_id,
            "AGENT_SECRET": self.secret,
            "AGENT_INSECURE": "true",
            "AGENT_VERSION": "fleet-e2e",
            "AGENT_RECONNECT_BACKOFF_SECONDS": BACKOFF_SECONDS,
            "AGENT_RECONNECT_BACKOFF_MAX_SECONDS": BACKOFF_MAX_SECONDS,
            "SWITCHYARD_AGENT_ENV_FILE": str(self.root / "agent.env"),
            "SWITCHYARD_AGENT_STATE_DIR": str(self.state_dir),
            "SWITCHYARD_AGENT_DWAARFILE": str(self.root / "dwaar" / "Dwaarfile"),
        }

    async def start(self) -> None:
        """Start the process (stdout/stderr discarded; the agent also logs to ``state/agent.log``)."""
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "switchyard.agent",
            env=self.env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )

    async def kill(self) -> None:
        """SIGKILL: no final frames, no goodbye, the stream just drops."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self) -> None:
        """SIGTERM and wait (SIGKILL after 15 s)."""
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            await self.kill()

    def log(self) -> str:
        """The agent's own log file so far."""
        try:
            return (self.state_dir / "agent.log").read_text()
        except FileNotFoundError:
            return ""

    def reconnect_delays(self) -> list[float]:
        """Every logged reconnect wait, in order."""
        return [float(delay) for _, delay in RECONNECT_LINE.findall(self.log())]

    def releases(self, app: str) -> list[dict[str, Any]]:
        """The process driver's release records of ``app`` (oldest first)."""
        folder = self.state_dir / "apps" / app / "releases"
        return [json.loads((p / "release.json").read_text()) for p in sorted(folder.iterdir())]


@asynccontextmanager
async def agent_process(address: str, server_id: str, secret: str, root: Path) -> AsyncIterator[AgentProcess]:
    """A running agent process for the duration of the context (stopped with SIGTERM after)."""
    agent = AgentProcess(address, server_id, secret, root)
    await agent.start()
    try:
        yield agent
    finally:
        await agent.stop()


def agents_settings(api_database_url: str, redis_url: str, nats_url: str, principal_key: bytes) -> Any:
    """Settings of an agents replica on the run's stores (the same as the session's agents_server)."""
    from switchyard.agents.config import Settings as AgentsSettings

    return AgentsSettings(
        database_url=api_database_url,
        redis_url=redis_url,
        nats_url=nats_url,
        principal_key=principal_key,
        agent_grpc_address="127.0.0.1:9090",
    )


@asynccontextmanager
async def agents_replica(settings: Any, *, agent_port: int = 0) -> AsyncIterator[Any]:
    """One more agents replica (internal API on a free port, agent.v1 on ``agent_port``)."""
    from switchyard.agents import server

    running = await server.start(settings, port=0, agent_port=agent_port)
    try:
        yield running
    finally:
        await running.stop(grace=1)


@pytest.fixture(scope="session")
def fleet_agents_settings(
    agents_server: Any, api_database_url: str, redis_url: str, nats_url: str, principal_key: bytes
) -> Any:
    """Settings for more agents replicas (after ``agents_server`` migrated the schema)."""
    return agents_settings(api_database_url, redis_url, nats_url, principal_key)


@pytest.fixture(scope="session")
async def agents_server_b(fleet_agents_settings: Any) -> AsyncIterator[Any]:
    """A second agents replica on the same PostgreSQL, Redis and NATS as ``agents_server``."""
    async with agents_replica(fleet_agents_settings) as running:
        yield running


@pytest.fixture(scope="session")
def gateway_b_settings(
    identity_addr: str,
    redis_url: str,
    principal_key: bytes,
    fleet_addrs: dict[str, str],
    agents_server_b: Any,
) -> GatewaySettings:
    """Settings of a gateway that calls the second agents replica (every other service as usual)."""
    return GatewaySettings(
        identity_addr=identity_addr,
        redis_url=redis_url,
        principal_key=principal_key,
        trust_proxy=True,
        auth_rate_limit_per_minute=100_000,
        **{**fleet_addrs, "agents_addr": agents_server_b.address},
    )


async def enrol_over_rest(client: httpx.AsyncClient, headers: dict[str, str], name: str) -> tuple[str, str]:
    """Install token then registration, both over REST; returns (server id, agent secret)."""
    minted = await client.post("/api/servers/install-token", headers=headers, json={"name": name})
    assert minted.status_code == 201, minted.text
    registered = await client.post(
        "/api/agent/register",
        json={"token": minted.json()["token"], "hostname": f"{name}.example", "machineId": f"m-{name}"},
    )
    assert registered.status_code in (200, 201), registered.text
    body = registered.json()
    return body["serverId"], body["agentSecret"]


async def stream_connected(client: httpx.AsyncClient, headers: dict[str, str], server_id: str) -> bool:
    """What ``GET /api/servers/{id}`` says about the agent's CommandStream."""
    response = await client.get(f"/api/servers/{server_id}", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return bool((body.get("server") or body)["streamConnected"])


async def command_state(
    client: httpx.AsyncClient, headers: dict[str, str], command_id: str
) -> dict[str, Any]:
    """``GET /api/commands/{id}``."""
    response = await client.get(f"/api/commands/{command_id}", headers=headers)
    assert response.status_code == 200, response.text
    command: dict[str, Any] = response.json()["command"]
    return command


async def issue(
    client: httpx.AsyncClient, headers: dict[str, str], server_id: str, type: str, payload: Any = None
) -> dict[str, Any]:
    """``POST /api/servers/{id}/commands``; returns the stored command."""
    body = {"type": type, "payload": payload if payload is not None else {}}
    response = await client.post(f"/api/servers/{server_id}/commands", headers=headers, json=body)
    assert response.status_code == 201, response.text
    command: dict[str, Any] = response.json()["command"]
    return command


async def reaches(
    client: httpx.AsyncClient, headers: dict[str, str], command_id: str, status: str, seconds: float = 60
) -> dict[str, Any]:
    """Wait until the command has ``status``."""

    async def check() -> dict[str, Any] | None:
        found = await command_state(client, headers, command_id)
        return found if found["status"] == status else None

    result: dict[str, Any] = await until(check, seconds, f"command {command_id} to be {status}")
    return result
