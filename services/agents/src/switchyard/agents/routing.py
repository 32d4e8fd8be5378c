"""Command routing across replicas over core NATS (the rows in PostgreSQL are the durable copy).

Subjects: ``agents.cmd.{server}`` (payload: a command id; the replica holding the server's stream
loads and sends it), ``agents.disconnect.{server}`` (payload empty: close the server's stream; payload
a stream id: close every other stream of the server, sent when a newer stream opened), and
``agents.result.{command}`` (a final state was committed: the command as an ``AgentCommand`` protobuf when
its output is at most ``RESULT_INLINE_BYTES``, else empty and the waiters re-read the row).
These are core NATS only: the AGENTS stream captures the event subjects (``agents.server.>``,
``agents.command.>``, ``agents.logs.>``) and not these, or every announcement would be stored forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats.aio.client
from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from switchyard.agents.domain.commands.models import CommandView
from switchyard.agents.rpc import _mapping as m
from switchyard.agents.v1 import agents_pb2

CMD_PREFIX = "agents.cmd"
DISCONNECT_PREFIX = "agents.disconnect"
RESULT_PREFIX = "agents.result"
# A wake-up carries the final command when its output fits comfortably in one NATS message (1 MiB by
# default); a bigger one is re-read from PostgreSQL by the waiter.
RESULT_INLINE_BYTES = 64 * 1024


def cmd_subject(server_id: str) -> str:
    """``agents.cmd.{server}``."""
    return f"{CMD_PREFIX}.{server_id}"


def disconnect_subject(server_id: str) -> str:
    """``agents.disconnect.{server}``."""
    return f"{DISCONNECT_PREFIX}.{server_id}"


def result_subject(command_id: str) -> str:
    """``agents.result.{command}``."""
    return f"{RESULT_PREFIX}.{command_id}"


def _carried(data: bytes) -> CommandView | None:
    if not data:
        return None
    try:
        return m.command_view(agents_pb2.AgentCommand.FromString(data))
    except (DecodeError, ValueError):
        return None


class _Waiter:
    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.result: CommandView | None = None

    async def wait(self, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                await self.event.wait()
        except TimeoutError:
            return False
        return True


class NatsCommandBus:
    """``CommandBus`` on core NATS."""

    def __init__(self, nc: nats.aio.client.Client) -> None:
        self._nc = nc

    async def announce(self, server_id: str, command_id: str) -> None:
        """``agents.cmd.{server}`` with the command id."""
        await self._nc.publish(cmd_subject(server_id), command_id.encode())

    async def finished(self, view: CommandView) -> None:
        """``agents.result.{command}``, carrying the final command when its output is small."""
        inline = len(view.output) <= RESULT_INLINE_BYTES
        body = m.command(view).SerializeToString() if inline else b""
        await self._nc.publish(result_subject(view.id), body)

    async def disconnect(self, server_id: str, keep_stream: str = "") -> None:
        """``agents.disconnect.{server}``; ``keep_stream`` spares that stream (the newest one)."""
        await self._nc.publish(disconnect_subject(server_id), keep_stream.encode())

    @asynccontextmanager
    async def watch_result(self, command_id: str) -> AsyncIterator[_Waiter]:
        """Subscribe to the command's result subject for the duration of the context."""
        waiter = _Waiter()

        async def on_message(msg: Msg) -> None:
            waiter.result = _carried(msg.data)
            waiter.event.set()

        subscription = await self._nc.subscribe(result_subject(command_id), cb=on_message)
        # The server knows the interest before the command can even be announced.
        await self._nc.flush()
        try:
            yield waiter
        finally:
            await subscription.unsubscribe()
