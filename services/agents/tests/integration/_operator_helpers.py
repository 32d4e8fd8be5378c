"""Helpers for the operator-action tests: the reference agent (libs/agent) run in process, and calls that
wait on the agent while a test answers for it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from switchyard.agent.agent import Agent, Hooks
from switchyard.agent.config import AgentConfig

DWAARFILE = """# global options
{
    email ops@example.com
    log_level { info }
}

example.com {
    reverse_proxy 127.0.0.1:3000
}
"""


def reference_config(address: str, server: Any, root: Path) -> AgentConfig:
    """The reference agent's config for ``server`` with every path under ``root``."""
    return AgentConfig(
        backend_addr=address,
        server_id=server.id,
        agent_secret=server.secret,
        insecure=True,
        version="reference-test",
        env_file=root / "agent.env",
        state_dir=root / "state",
        apps_dir=root / "state" / "apps",
        dwaarfile=root / "dwaar" / "Dwaarfile",
        routes_dir=root / "dwaar" / "apps",
    )


@asynccontextmanager
async def reference_agent(fleet: Any, server: Any, root: Path, *, via: str = "a") -> AsyncIterator[Agent]:
    """The real reference agent connected to replica ``via`` (its process exit is a no-op)."""
    agent = Agent(
        reference_config(fleet.replicas[via].agent_address, server, root), hooks=Hooks(exit_hook=int)
    )
    task = asyncio.create_task(agent.run())
    try:
        await fleet.until(lambda: fleet.stream_on(server, via))
        yield agent
    finally:
        agent.stop.set()
        await asyncio.wait_for(task, 15)


def error_fields(error: Any) -> dict[str, Any]:
    """The ``x-error-fields`` an RPC error carried."""
    raw = dict(error.trailing_metadata()).get("x-error-fields", "{}")
    return dict(json.loads(raw))


def http_status(error: Any) -> str:
    """The ``x-http-status`` override an RPC error carried."""
    return str(dict(error.trailing_metadata()).get("x-http-status", ""))


async def answered(call: Any, agent: Any, command_type: int, status: str, output: str) -> Any:
    """Start ``call`` (a coroutine waiting on the agent), answer its command of ``command_type``, await it."""
    task = asyncio.ensure_future(call)
    seen = len(agent.received)
    async with asyncio.timeout(10):
        while True:
            await agent.wait_for(seen + 1)
            command = agent.received[seen]
            seen += 1
            if command.type == command_type:
                break
    await agent.finish(command.id, status, output)
    return await task
