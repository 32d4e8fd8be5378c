"""The heartbeat loop: one Heartbeat per interval; the server's reply can change the interval.

Failures are only logged and the loop sleeps the current interval (no backoff), as in the real agent.
The interval starts at AGENT_HEARTBEAT_SECONDS; a reply with ``heartbeat_interval_seconds > 0`` replaces
it, never below 5 s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
from switchyard.agent.config import AgentConfig
from switchyard.agent.frames import now_timestamp
from switchyard.agent.logs import AppDirectory
from switchyard.agent.metrics import MetricsCollector, docker_reachable
from switchyard.agent.transport import CALL_TIMEOUT_SECONDS, auth_metadata

from agent.v1 import agent_pb2, agent_pb2_grpc

log = logging.getLogger("switchyard.agent.heartbeat")

MIN_INTERVAL_SECONDS = 5

Sleep = Callable[[float], Awaitable[None]]


class HeartbeatLoop:
    """Sends heartbeats on the long-lived channel."""

    def __init__(
        self,
        config: AgentConfig,
        client: agent_pb2_grpc.AgentServiceStub,
        *,
        apps: AppDirectory | None = None,
        docker_socket: Path = Path("/var/run/docker.sock"),
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Create the loop.

        Args:
            config: Version, server id and the initial interval.
            client: The AgentService stub.
            apps: Receives the reply's container -> app/deployment mapping (for log entries).
            docker_socket: Probed for ``docker_reachable``.
            sleep: The wait between beats (tests inject a recorder).
        """
        self._config = config
        self._client = client
        self._apps = apps
        self._docker_socket = docker_socket
        self._sleep = sleep
        self._metrics = MetricsCollector()
        self.interval = float(config.heartbeat_seconds)
        self.sent = 0

    async def build_request(self) -> agent_pb2.HeartbeatRequest:
        """The heartbeat: version, time, host metrics, Docker reachability and the on-disk server id."""
        return agent_pb2.HeartbeatRequest(
            agent_version=self._config.version,
            timestamp=now_timestamp(),
            system=self._metrics.collect(),
            disk_server_id=self._config.server_id,
            agent_version_disk=self._config.version,
            docker_reachable=await docker_reachable(self._docker_socket),
        )

    async def beat(self) -> None:
        """Send one heartbeat and apply the reply; errors are logged, never raised."""
        try:
            reply: agent_pb2.HeartbeatResponse = await self._client.Heartbeat(
                await self.build_request(), metadata=auth_metadata(self._config), timeout=CALL_TIMEOUT_SECONDS
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("heartbeat failed: %s %s", exc.code(), exc.details())
            return
        self.sent += 1
        if not reply.accepted:
            log.warning("heartbeat not accepted: %s", reply.error_message)
        if reply.heartbeat_interval_seconds > 0:
            self.interval = float(max(MIN_INTERVAL_SECONDS, reply.heartbeat_interval_seconds))
        if reply.update_available:
            log.info("agent update available: %s", reply.latest_version)
        if self._apps is not None:
            self._apps.update(reply.app_containers)

    async def run(self, stop: asyncio.Event) -> None:
        """Beat, then sleep the current interval, until ``stop`` is set."""
        while not stop.is_set():
            await self.beat()
            waiter = asyncio.ensure_future(self._sleep(self.interval))
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
