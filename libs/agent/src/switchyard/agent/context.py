"""What handlers share: the config, the process driver, the clock and the (injectable) process exit."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from switchyard.agent.config import AgentConfig
from switchyard.agent.frames import Outcome, Progress
from switchyard.agent.process_driver import ProcessDriver

from agent.v1 import agent_pb2

DEFAULT_DOCKER_SOCKET = Path("/var/run/docker.sock")


def exit_process(code: int) -> None:
    """Flush the log handlers and leave at once; app processes are detached and keep running."""
    logging.shutdown()
    os._exit(code)


@dataclass
class HandlerContext:
    """Shared state for command handlers.

    Attributes:
        config: The agent config.
        driver: The local-process app driver.
        exit_hook: Ends the process with a code (tests replace it).
        docker_socket: The Docker engine socket probed for ``docker_reachable``.
        started: ``time.monotonic()`` at agent start, for uptime.
        health_timeout: How long APP_DEPLOY/APP_ROLLBACK wait for a healthy answer.
        list_routes: Asks the control plane for the server's canonical routes (ListServerRoutes); set
            once the channel is open.
    """

    config: AgentConfig
    driver: ProcessDriver
    exit_hook: Callable[[int], None] = exit_process
    docker_socket: Path = DEFAULT_DOCKER_SOCKET
    started: float = field(default_factory=time.monotonic)
    health_timeout: float = 60.0
    list_routes: Callable[[], Awaitable[list[agent_pb2.ServerRoute]]] | None = None

    def schedule_exit(self, delay: float, code: int = 0) -> None:
        """Call the exit hook after ``delay`` seconds, once the final frame has had time to leave."""
        asyncio.get_running_loop().call_later(delay, self.exit_hook, code)


Handler = Callable[[HandlerContext, bytes, Progress], Awaitable[Outcome]]
