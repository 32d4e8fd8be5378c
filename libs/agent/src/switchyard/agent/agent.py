"""The composition root: the heartbeat, command and log-shipping loops around one dispatcher."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from switchyard.agent.commands import CommandLoop
from switchyard.agent.config import AgentConfig
from switchyard.agent.context import HandlerContext, exit_process
from switchyard.agent.dispatch import MAX_CONCURRENT_COMMANDS, Dispatcher
from switchyard.agent.handlers import HANDLERS
from switchyard.agent.heartbeat import HeartbeatLoop
from switchyard.agent.logs import AppDirectory, LogBuffer
from switchyard.agent.process_driver import ProcessDriver
from switchyard.agent.shipper import AppLogTailer, LogShipper
from switchyard.agent.transport import list_server_routes, open_channel, stub

log = logging.getLogger("switchyard.agent")

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class Hooks:
    """Seams for tests: the waits of each loop, the process exit and the command capacity."""

    command_sleep: Sleep = asyncio.sleep
    heartbeat_sleep: Sleep = asyncio.sleep
    shipper_sleep: Sleep = asyncio.sleep
    exit_hook: Callable[[int], None] = exit_process
    capacity: int = MAX_CONCURRENT_COMMANDS
    health_timeout: float = 60.0


class Agent:
    """One running agent."""

    def __init__(
        self, config: AgentConfig, *, buffer: LogBuffer | None = None, hooks: Hooks | None = None
    ) -> None:
        """Wire the parts.

        Args:
            config: The agent config.
            buffer: The PushLogs buffer the logging setup feeds (a fresh one when None).
            hooks: Test seams; production defaults when None.
        """
        self.config = config
        self.hooks = hooks or Hooks()
        self.buffer = buffer or LogBuffer()
        self.apps = AppDirectory()
        self.driver = ProcessDriver(config.apps_dir)
        self.ctx = HandlerContext(
            config=config,
            driver=self.driver,
            exit_hook=self.hooks.exit_hook,
            health_timeout=self.hooks.health_timeout,
        )
        self.dispatcher = Dispatcher(self.ctx, HANDLERS, capacity=self.hooks.capacity)
        self.commands = CommandLoop(config, self.dispatcher, sleep=self.hooks.command_sleep)
        self.stop = asyncio.Event()

    async def run(self) -> None:
        """Run until :attr:`stop` is set; app processes are left running."""
        for release in await self.driver.settle_interrupted():
            log.warning(
                "stopped interrupted release %s of app %s (an earlier agent died while starting it)",
                release.release_id,
                release.container_name,
            )
        for release in self.driver.adopt():
            log.info(
                "adopted app %s release %s pid %s", release.container_name, release.release_id, release.pid
            )
        channel = open_channel(self.config)
        client = stub(channel)
        self.ctx.list_routes = lambda: list_server_routes(self.config, client)
        heartbeat = HeartbeatLoop(
            self.config,
            client,
            apps=self.apps,
            docker_socket=self.ctx.docker_socket,
            sleep=self.hooks.heartbeat_sleep,
        )
        shipper = LogShipper(
            self.config,
            client,
            self.buffer,
            tailer=AppLogTailer(self.driver, self.buffer, self.apps),
            sleep=self.hooks.shipper_sleep,
        )
        self.heartbeat = heartbeat
        self.shipper = shipper
        log.info(
            "agent %s starting for server %s -> %s",
            self.config.version,
            self.config.server_id,
            self.config.backend_addr,
        )
        try:
            await asyncio.gather(
                heartbeat.run(self.stop), self.commands.run(self.stop), shipper.run(self.stop)
            )
        finally:
            await self.dispatcher.shutdown()
            await shipper.push_once()
            await channel.close(grace=1.0)
            log.info("agent stopped")
