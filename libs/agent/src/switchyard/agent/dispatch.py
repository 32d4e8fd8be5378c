"""Admission, ack and dispatch of pushed Commands (reference §1 "Result / ack flow", points 2-6).

Every command is acked (``phase: received``, 3 s, best effort) before any result frame is sent. Valid
commands then run as their own task: control and streaming types bypass the 50-slot limit, the others take
a slot or are refused at once with ``agent command capacity exhausted; retry later``. A running command
can be cancelled by CANCEL_COMMAND, after which it emits its own final ``cancelled`` frame.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from switchyard.agent.context import Handler, HandlerContext
from switchyard.agent.frames import CANCELLED, Outcome, Progress, Send, final_frame
from switchyard.agent.payload import PayloadError, get_str, parse_object

from agent.v1 import agent_pb2

log = logging.getLogger("switchyard.agent.dispatch")

MAX_CONCURRENT_COMMANDS = 50
CT = agent_pb2.CommandType
CONTROL_TYPES = frozenset(
    {
        CT.COMMAND_TYPE_UPDATE_AGENT,
        CT.COMMAND_TYPE_CANCEL_COMMAND,
        CT.COMMAND_TYPE_RESTART_SELF,
        CT.COMMAND_TYPE_REENROLL,
        CT.COMMAND_TYPE_BOOTSTRAP_SECRETS,
        CT.COMMAND_TYPE_ROTATE_SECRETS,
        CT.COMMAND_TYPE_ROTATE_AGENT_SECRET,
    }
)
STREAMING_TYPES = frozenset(
    {
        CT.COMMAND_TYPE_SERVICE_LOGS,
        CT.COMMAND_TYPE_BACKUP_DOWNLOAD,
        CT.COMMAND_TYPE_COMPOSE_LOGS,
        CT.COMMAND_TYPE_APP_LOGS,
    }
)
LEGACY_TYPES = frozenset({CT.COMMAND_TYPE_DEPLOY, CT.COMMAND_TYPE_RESTART, CT.COMMAND_TYPE_LOGS})
CAPACITY_EXHAUSTED = "agent command capacity exhausted; retry later"
LEGACY_UNSUPPORTED = (
    "unsupported_command_type: legacy DEPLOY/RESTART/LOGS are not implemented by the current Go agent "
    "dispatcher either"
)
SQL_EXEC_DISABLED = "unsupported_command_type: SQL_EXEC is intentionally disabled on the agent"

Ack = Callable[[str], Awaitable[None]]


def invalid_type_reason(command_type: int) -> str | None:
    """The rejection for an unspecified or unknown enum value, or None when the type is valid."""
    if command_type == CT.COMMAND_TYPE_UNSPECIFIED:
        return "invalid_command_type: COMMAND_TYPE_UNSPECIFIED"
    if command_type not in CT.values():
        return f"invalid_command_type: {command_type}"
    return None


def bypasses_limit(command_type: int) -> bool:
    """Control-plane and streaming commands never wait for (or are refused by) the 50 slots."""
    return command_type in CONTROL_TYPES or command_type in STREAMING_TYPES


class Dispatcher:
    """Runs commands from whichever stream is open; slots and the cancel registry outlive a stream."""

    def __init__(
        self,
        ctx: HandlerContext,
        handlers: Mapping[int, Handler],
        *,
        capacity: int = MAX_CONCURRENT_COMMANDS,
    ) -> None:
        """Create the dispatcher.

        Args:
            ctx: Passed to every handler.
            handlers: Handler per command type; a valid type without one answers ``unsupported_command_type``.
            capacity: Concurrent non-exempt commands (50 as in the real agent; tests lower it).
        """
        self._ctx = ctx
        self._handlers = dict(handlers)
        self._capacity = capacity
        self._in_use = 0
        self._running: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def in_use(self) -> int:
        """Slots currently taken."""
        return self._in_use

    def dispatch(self, command: agent_pb2.Command, *, send: Send, ack: Ack) -> None:
        """Admit ``command`` and start its task; never blocks the stream reader.

        Args:
            command: The pushed command.
            send: Puts a CommandResult on the stream the command came from.
            ack: Calls AckCommand for a command id (best effort).
        """
        reason = invalid_type_reason(command.type)
        if reason is not None:
            self._spawn(self._reject(command, Outcome.failed(reason), send, ack))
            return
        if command.type == CT.COMMAND_TYPE_CANCEL_COMMAND:
            self._spawn(self._run(command, send, ack, holds_slot=False))
            return
        holds_slot = not bypasses_limit(command.type)
        if holds_slot:
            if self._in_use >= self._capacity:
                self._spawn(self._reject(command, Outcome.failed(CAPACITY_EXHAUSTED), send, ack))
                return
            self._in_use += 1
        task = self._spawn(self._run(command, send, ack, holds_slot=holds_slot))
        if command.id:
            self._running[command.id] = task

    def cancel(self, command_id: str) -> bool:
        """Cancel a running command; it then emits its own final ``cancelled`` frame."""
        task = self._running.get(command_id)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    async def shutdown(self) -> None:
        """Cancel every running command (agent stopping)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _reject(self, command: agent_pb2.Command, outcome: Outcome, send: Send, ack: Ack) -> None:
        await ack(command.id)
        await send(final_frame(command.id, outcome))

    async def _run(self, command: agent_pb2.Command, send: Send, ack: Ack, *, holds_slot: bool) -> None:
        try:
            await ack(command.id)
            outcome = await self._outcome(command, Progress(command.id, send))
        except asyncio.CancelledError:
            # The cancel was aimed at the handler; the task itself still owes its final frame.
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            outcome = Outcome(CANCELLED, b"cancelled")
        finally:
            if holds_slot:
                self._in_use -= 1
            if self._running.get(command.id) is asyncio.current_task():
                del self._running[command.id]
        await send(final_frame(command.id, outcome))

    async def _outcome(self, command: agent_pb2.Command, progress: Progress) -> Outcome:
        log.info("received command id=%s type=%s", command.id, command.type)
        try:
            if command.type == CT.COMMAND_TYPE_CANCEL_COMMAND:
                return self._cancel_command(command.payload)
            if command.type in LEGACY_TYPES:
                return Outcome.failed(LEGACY_UNSUPPORTED)
            if command.type == CT.COMMAND_TYPE_SQL_EXEC:
                return Outcome.failed(SQL_EXEC_DISABLED)
            handler = self._handlers.get(command.type)
            if handler is None:
                return Outcome.failed(
                    f"unsupported_command_type: {command.type} is not implemented in switchyard-agent yet"
                )
            return await handler(self._ctx, command.payload, progress)
        except PayloadError as exc:
            return Outcome.failed(f"invalid payload: {exc}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("command handler failed id=%s", command.id)
            return Outcome.failed(f"{type(exc).__name__}: {exc}")

    def _cancel_command(self, payload: bytes) -> Outcome:
        target = get_str(parse_object(payload), "cancel_command_id", required=True)
        if self.cancel(target):
            return Outcome.completed(f"cancelled cmd={target}")
        return Outcome.completed(f"no such command cmd={target}")
