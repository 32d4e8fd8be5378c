"""Ships buffered log entries with PushLogs (one batch per call) and tails app output into the buffer.

Every second the oldest entries (at most 100 and 1 MiB) go out in one PushLogs call; they leave the
buffer only after ``LogAck.accepted``. App processes write to their ``output.log``; the tailer turns new
lines into entries with source ``app:<container>`` and the app/deployment ids from the last heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
from switchyard.agent.config import AgentConfig
from switchyard.agent.logs import AppDirectory, LogBuffer, entry
from switchyard.agent.process_driver import ProcessDriver
from switchyard.agent.transport import CALL_TIMEOUT_SECONDS, auth_metadata

from agent.v1 import agent_pb2, agent_pb2_grpc

log = logging.getLogger("switchyard.agent.shipper")

BATCH_ENTRIES = 100
BATCH_BYTES = 1024 * 1024
INTERVAL_SECONDS = 1.0
MAX_LINE_BYTES = 16 * 1024

Sleep = Callable[[float], Awaitable[None]]


class LogShipper:
    """Drains a LogBuffer through PushLogs."""

    def __init__(
        self,
        config: AgentConfig,
        client: agent_pb2_grpc.AgentServiceStub,
        buffer: LogBuffer,
        *,
        tailer: AppLogTailer | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Create the shipper.

        Args:
            config: Server id and credentials.
            client: The AgentService stub.
            buffer: Where entries wait.
            tailer: Polled each cycle for new app output.
            sleep: The wait between cycles (tests inject one).
        """
        self._config = config
        self._client = client
        self._buffer = buffer
        self._tailer = tailer
        self._sleep = sleep
        self._failing = False
        self.shipped = 0

    async def push_once(self) -> bool:
        """Send one batch; True when the server accepted it (or there was nothing to send)."""
        batch = self._buffer.peek(max_entries=BATCH_ENTRIES, max_bytes=BATCH_BYTES)
        if not batch:
            return True
        request = agent_pb2.LogBatch(server_id=self._config.server_id, entries=batch)

        async def one_batch() -> AsyncIterator[agent_pb2.LogBatch]:
            yield request

        try:
            ack: agent_pb2.LogAck = await self._client.PushLogs(
                one_batch(), metadata=auth_metadata(self._config), timeout=CALL_TIMEOUT_SECONDS
            )
        except grpc.aio.AioRpcError as exc:
            self._note_failure(f"{exc.code()} {exc.details()}")
            return False
        if not ack.accepted:
            self._note_failure(f"not accepted: {ack.error_message}")
            return False
        self._failing = False
        self._buffer.discard(len(batch))
        self.shipped += len(batch)
        return True

    def _note_failure(self, why: str) -> None:
        # Once per outage, not once per second.
        if not self._failing:
            log.warning("push logs failed (entries kept in memory): %s", why)
        self._failing = True

    async def run(self, stop: asyncio.Event) -> None:
        """Tail, push, sleep one second; until ``stop`` is set."""
        while not stop.is_set():
            if self._tailer is not None:
                self._tailer.poll()
            while await self.push_once() and len(self._buffer) >= BATCH_ENTRIES:
                pass
            waiter = asyncio.ensure_future(self._sleep(INTERVAL_SECONDS))
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()


class AppLogTailer:
    """Turns new lines of every current app release's ``output.log`` into buffered entries."""

    def __init__(self, driver: ProcessDriver, buffer: LogBuffer, apps: AppDirectory) -> None:
        """Tail the apps known to ``driver`` into ``buffer``."""
        self._driver = driver
        self._buffer = buffer
        self._apps = apps
        self._offsets: dict[str, int] = {}
        self._primed = False

    def poll(self) -> int:
        """Read what each app wrote since the last poll; returns the number of lines buffered."""
        count = 0
        for name in self._driver.apps():
            release = self._driver.load_release(name, self._driver.load_state(name).current)
            if release is None:
                continue
            path = self._driver.output_log(release)
            key = str(path)
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            # Files present at agent start are followed from their end (their past was shipped by the
            # previous agent run); a release started later is read from its first line.
            offset = self._offsets.setdefault(key, 0 if self._primed else size)
            if size <= offset:
                self._offsets[key] = min(offset, size)
                continue
            with path.open("rb") as handle:
                handle.seek(offset)
                data = handle.read()
            complete = data.rfind(b"\n") + 1
            self._offsets[key] = offset + complete
            app_id, deployment_id = self._apps.lookup(name)
            for line in data[:complete].splitlines():
                text = line[:MAX_LINE_BYTES].decode(errors="replace")
                self._buffer.add(
                    entry(
                        f"app:{name}",
                        "info",
                        text,
                        container_name=name,
                        app_id=app_id,
                        deployment_id=deployment_id,
                    )
                )
                count += 1
        self._primed = True
        return count
