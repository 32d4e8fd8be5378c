"""CommandResult frames: progress lines (``running``, not final) and the one final frame per command."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from agent.v1 import agent_pb2

MAX_PROGRESS_FRAME_BYTES = 16 * 1024
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"
QUEUED = "queued"
RUNNING = "running"

Send = Callable[[agent_pb2.CommandResult], Awaitable[None]]


def now_timestamp() -> Timestamp:
    """The current time as a protobuf Timestamp."""
    stamp = Timestamp()
    stamp.FromNanoseconds(time.time_ns())
    return stamp


@dataclass(frozen=True, slots=True)
class Outcome:
    """A handler's final answer: a status and its output bytes (text or JSON)."""

    status: str
    output: bytes

    @classmethod
    def completed(cls, text: str) -> Outcome:
        """A ``completed`` text result."""
        return cls(COMPLETED, text.encode())

    @classmethod
    def completed_json(cls, value: Any) -> Outcome:
        """A ``completed`` JSON result (introspection commands answer JSON)."""
        return cls(COMPLETED, json.dumps(value, separators=(",", ":")).encode())

    @classmethod
    def failed(cls, text: str) -> Outcome:
        """A ``failed`` result with a human-readable reason."""
        return cls(FAILED, text.encode())


def final_frame(command_id: str, outcome: Outcome) -> agent_pb2.CommandResult:
    """The final (``is_final=true``) frame for ``outcome``."""
    return agent_pb2.CommandResult(
        command_id=command_id,
        status=outcome.status,
        output=outcome.output,
        is_final=True,
        timestamp=now_timestamp(),
    )


def split_line(line: str) -> list[bytes]:
    """One output line as newline-terminated chunks of at most 16 KiB each."""
    data = line.rstrip("\n").encode(errors="replace")
    limit = MAX_PROGRESS_FRAME_BYTES - 1
    chunks = [data[i : i + limit] for i in range(0, len(data), limit)] or [b""]
    return [chunk + b"\n" for chunk in chunks]


class Progress:
    """Sends a command's progress frames on the stream it arrived on."""

    def __init__(self, command_id: str, send: Send) -> None:
        """Bind to one command.

        Args:
            command_id: The command the frames belong to.
            send: Puts a frame on the command stream.
        """
        self.command_id = command_id
        self._send = send

    async def line(self, text: str) -> None:
        """Send one output line as ``running`` frames (split when longer than 16 KiB)."""
        for chunk in split_line(text):
            await self._send(
                agent_pb2.CommandResult(
                    command_id=self.command_id,
                    status=RUNNING,
                    output=chunk,
                    is_final=False,
                    timestamp=now_timestamp(),
                )
            )
