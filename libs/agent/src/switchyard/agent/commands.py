"""The command loop: hold CommandStream open, hand each Command to the dispatcher, reconnect with backoff.

Each attempt dials a new channel (reference §1 "Reconnect / backoff"). The backoff starts at 1 s, doubles
to 30 s, and drops back to 1 s once a stream opens; after a stream ends (clean EOF or error) the agent
waits the current backoff before the next attempt (both bounds come from the config, so tests can shrink
them). Every wait is logged (``command stream reconnect N in S s``) and counted in ``reconnects``.
Results of commands whose stream has gone are dropped, as in the real agent (no result spool, no replay).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
from switchyard.agent.config import (
    DEFAULT_RECONNECT_BACKOFF_MAX_SECONDS,
    DEFAULT_RECONNECT_BACKOFF_SECONDS,
    AgentConfig,
)
from switchyard.agent.dispatch import Dispatcher
from switchyard.agent.transport import ACK_TIMEOUT_SECONDS, auth_metadata, open_channel, stub

from agent.v1 import agent_pb2, agent_pb2_grpc

log = logging.getLogger("switchyard.agent.commands")

INITIAL_BACKOFF_SECONDS = DEFAULT_RECONNECT_BACKOFF_SECONDS
MAX_BACKOFF_SECONDS = DEFAULT_RECONNECT_BACKOFF_MAX_SECONDS
RESULT_BUFFER = 128

Sleep = Callable[[float], Awaitable[None]]


def next_backoff(current: float, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """Double the delay, capped at ``cap`` (30 s by default)."""
    return min(current * 2, cap)


class _Outbox:
    """The sending half of one stream: a bounded queue that drops frames once the stream is gone."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[agent_pb2.CommandResult | None] = asyncio.Queue(maxsize=RESULT_BUFFER)
        self.closed = False

    async def send(self, frame: agent_pb2.CommandResult) -> None:
        if not self.closed:
            await self._queue.put(frame)

    def close(self) -> None:
        self.closed = True
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    async def frames(self) -> AsyncIterator[agent_pb2.CommandResult]:
        while (frame := await self._queue.get()) is not None:
            yield frame


class CommandLoop:
    """Runs CommandStream attempts until stopped."""

    def __init__(
        self,
        config: AgentConfig,
        dispatcher: Dispatcher,
        *,
        sleep: Sleep = asyncio.sleep,
        on_open: Callable[[], None] | None = None,
    ) -> None:
        """Create the loop.

        Args:
            config: Address, credentials and TLS choice.
            dispatcher: Runs the received commands.
            sleep: The backoff wait (tests inject a recorder).
            on_open: Called each time a stream opens.
        """
        self._config = config
        self._dispatcher = dispatcher
        self._sleep = sleep
        self._on_open = on_open
        self.initial_backoff = config.reconnect_backoff_seconds
        self.max_backoff = config.reconnect_backoff_max_seconds
        self.backoff = self.initial_backoff
        self.reconnects = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Attempt, wait the backoff, double it; until ``stop`` is set."""
        while not stop.is_set():
            await self.attempt(stop)
            if stop.is_set():
                return
            self.reconnects += 1
            log.info("command stream reconnect %d in %.2fs", self.reconnects, self.backoff)
            waiter = asyncio.ensure_future(self._sleep(self.backoff))
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            for task in (waiter, stopper):
                task.cancel()
            self.backoff = next_backoff(self.backoff, self.max_backoff)

    async def attempt(self, stop: asyncio.Event) -> None:
        """One stream: open it on a new channel and read Commands until it ends or ``stop`` is set."""
        channel = open_channel(self._config)
        outbox = _Outbox()
        try:
            client = stub(channel)
            call = client.CommandStream(outbox.frames(), metadata=auth_metadata(self._config))
            reader = asyncio.ensure_future(self._read(call, client, outbox))
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if not reader.done():
                call.cancel()
                reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        finally:
            outbox.close()
            await channel.close(grace=0.5)

    async def _read(
        self, call: grpc.aio.StreamStreamCall, client: agent_pb2_grpc.AgentServiceStub, outbox: _Outbox
    ) -> None:
        try:
            # Response headers mean the server accepted the stream (tonic's `command_stream().await`).
            await call.initial_metadata()
            await asyncio.sleep(0)
            if call.done() and await call.code() != grpc.StatusCode.OK:
                log.warning("open command stream failed: %s %s", await call.code(), await call.details())
                return
            log.info("command stream open")
            self.backoff = self.initial_backoff
            if self._on_open is not None:
                self._on_open()
            ack = self._acker(client)
            async for command in call:
                self._dispatcher.dispatch(command, send=outbox.send, ack=ack)
            log.info("command stream closed by backend")
        except grpc.aio.AioRpcError as exc:
            log.warning("command stream failed: %s %s", exc.code(), exc.details())

    def _acker(self, client: agent_pb2_grpc.AgentServiceStub) -> Callable[[str], Awaitable[None]]:
        metadata = auth_metadata(self._config)

        async def ack(command_id: str) -> None:
            if not command_id:
                return
            request = agent_pb2.CommandAck(
                command_id=command_id, server_id=self._config.server_id, phase="received"
            )
            try:
                await client.AckCommand(request, metadata=metadata, timeout=ACK_TIMEOUT_SECONDS)
            except grpc.aio.AioRpcError as exc:
                log.warning("command ack failed command_id=%s: %s", command_id, exc.code())

        return ack
