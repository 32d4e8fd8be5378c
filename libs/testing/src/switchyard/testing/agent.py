"""The reference agent (libs/agent) run inside a test's event loop, and a Docker Engine stand-in for it.

Imported explicitly (``from switchyard.testing.agent import ...``), not by the pytest plugin, so only
tests that drive the reference agent load it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from switchyard.agent.agent import Agent, Hooks
from switchyard.agent.config import AgentConfig

# A Dwaarfile with a global options block holding one patchable block (log_level).
DWAARFILE = """# global options
{
    email ops@example.com
    log_level { info }
}

example.com {
    reverse_proxy 127.0.0.1:3000
}
"""


def reference_config(address: str, server_id: str, secret: str, root: Path) -> AgentConfig:
    """The reference agent's config (plaintext h2c to ``address``) with every path under ``root``."""
    return AgentConfig(
        backend_addr=address,
        server_id=server_id,
        agent_secret=secret,
        insecure=True,
        version="reference-test",
        env_file=root / "agent.env",
        state_dir=root / "state",
        apps_dir=root / "state" / "apps",
        dwaarfile=root / "dwaar" / "Dwaarfile",
        routes_dir=root / "dwaar" / "apps",
    )


def _stay(code: int) -> None:
    """The exit hook: RESTART_SELF/REENROLL must not end the test process."""


@asynccontextmanager
async def reference_agent(
    address: str,
    server_id: str,
    secret: str,
    root: Path,
    *,
    registered: Callable[[], Awaitable[object]],
    docker_socket: Path | None = None,
) -> AsyncIterator[Agent]:
    """The real reference agent dialling ``address`` until the context ends (its process exit is a no-op).

    Args:
        address: The agents service's agent.v1 port.
        server_id: The enrolled server.
        secret: Its agent secret.
        root: Where the agent keeps its files (``root/dwaar/Dwaarfile`` is the Dwaarfile it patches).
        registered: Waits until the agents service holds the agent's command stream.
        docker_socket: A Docker Engine socket (default: none, a path that does not exist).
    """
    agent = Agent(reference_config(address, server_id, secret, root), hooks=Hooks(exit_hook=_stay))
    agent.ctx.docker_socket = docker_socket or root / "no-docker.sock"
    task = asyncio.create_task(agent.run())
    try:
        await registered()
        yield agent
    finally:
        agent.stop.set()
        await asyncio.wait_for(task, 15)


@asynccontextmanager
async def fake_docker(network: dict[str, Any]) -> AsyncIterator[Path]:
    """A Docker Engine stand-in on a unix socket: ``GET /_ping`` and ``GET /networks/deploy-net`` (answered
    with ``network``, an Engine API NetworkInspect body); anything else is 404. One request per connection.
    """

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ", 2)[1].decode()
        status, body = "404 Not Found", b'{"message":"not found"}'
        if path.endswith("/_ping"):
            status, body = "200 OK", b"OK"
        elif path.endswith("/networks/deploy-net"):
            status, body = "200 OK", json.dumps(network).encode()
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    # Unix socket paths are limited to ~100 bytes, so not under pytest's (long) tmp_path.
    folder = Path(tempfile.mkdtemp(prefix="sy-docker-"))
    socket_path = folder / "docker.sock"
    server = await asyncio.start_unix_server(serve, path=str(socket_path))
    try:
        yield socket_path
    finally:
        server.close()
        await server.wait_closed()
        shutil.rmtree(folder, ignore_errors=True)
