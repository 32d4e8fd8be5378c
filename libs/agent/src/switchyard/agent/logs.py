"""The agent's own logging (stderr + a file in the state dir) and the in-memory buffer PushLogs drains.

Unsent entries wait in memory, capped by count and bytes; over the cap the oldest are dropped and
counted. The real agent spools to disk (256 MiB, fsync per record); this agent does not, so entries
buffered when the agent exits are lost (documented in the README).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from agent.v1 import agent_pb2

MAX_BUFFERED_ENTRIES = 20_000
MAX_BUFFERED_BYTES = 16 * 1024 * 1024
_LEVELS = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn"}
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LogBuffer:
    """A thread-safe FIFO of LogEntry protos with a count and byte cap."""

    def __init__(
        self, *, max_entries: int = MAX_BUFFERED_ENTRIES, max_bytes: int = MAX_BUFFERED_BYTES
    ) -> None:
        """Create an empty buffer with the given caps."""
        self._entries: deque[agent_pb2.LogEntry] = deque()
        self._bytes = 0
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, entry: agent_pb2.LogEntry) -> None:
        """Append an entry, dropping the oldest while over a cap."""
        with self._lock:
            self._entries.append(entry)
            self._bytes += entry.ByteSize()
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                self._bytes -= self._entries.popleft().ByteSize()
                self.dropped += 1

    def peek(self, *, max_entries: int, max_bytes: int) -> list[agent_pb2.LogEntry]:
        """The oldest entries that fit one batch (always at least one when not empty)."""
        batch: list[agent_pb2.LogEntry] = []
        size = 0
        with self._lock:
            for entry in self._entries:
                if len(batch) >= max_entries or (batch and size + entry.ByteSize() > max_bytes):
                    break
                batch.append(entry)
                size += entry.ByteSize()
        return batch

    def discard(self, count: int) -> None:
        """Remove the ``count`` oldest entries (after the server acknowledged them)."""
        with self._lock:
            for _ in range(min(count, len(self._entries))):
                self._bytes -= self._entries.popleft().ByteSize()


class AppDirectory:
    """Container name -> (app_id, deployment_id), from the heartbeat reply's app_containers."""

    def __init__(self) -> None:
        """Start empty."""
        self._apps: dict[str, tuple[str, str]] = {}

    def update(self, mappings: Iterable[agent_pb2.AppContainerMapping]) -> None:
        """Replace the mapping with the server's latest view."""
        self._apps = {m.container_name: (m.app_id, m.deployment_id) for m in mappings if m.container_name}

    def lookup(self, container_name: str) -> tuple[str, str]:
        """(app_id, deployment_id) of a container, empty strings when unknown."""
        return self._apps.get(container_name, ("", ""))


def entry(source: str, level: str, message: str, **fields: str) -> agent_pb2.LogEntry:
    """A LogEntry stamped now."""
    app_id = fields.pop("app_id", "")
    deployment_id = fields.pop("deployment_id", "")
    return agent_pb2.LogEntry(
        timestamp_ns=time.time_ns(),
        source=source,
        level=level,
        message=message,
        fields=fields,
        app_id=app_id,
        deployment_id=deployment_id,
    )


class BufferHandler(logging.Handler):
    """Copies the agent's log records into the PushLogs buffer (source ``agent``)."""

    def __init__(self, buffer: LogBuffer) -> None:
        """Feed ``buffer``."""
        super().__init__(level=logging.INFO)
        self._buffer = buffer

    def emit(self, record: logging.LogRecord) -> None:
        """Buffer one record."""
        # The shipper's own failures would otherwise re-enter the buffer they failed to send.
        if record.name == "switchyard.agent.shipper":
            return
        try:
            level = _LEVELS.get(record.levelno, "error")
            self._buffer.add(entry("agent", level, record.getMessage(), logger=record.name))
        except Exception:
            self.handleError(record)


def setup_logging(log_file: Path, buffer: LogBuffer | None = None) -> None:
    """Log to stderr and ``log_file`` (rotated at 5 MiB, 3 kept) and, when given, into ``buffer``."""
    root = logging.getLogger("switchyard.agent")
    root.setLevel(logging.INFO)
    root.propagate = False
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    formatter = logging.Formatter(_FORMAT)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(formatter)
    root.addHandler(stderr)
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.handlers.RotatingFileHandler(log_file, maxBytes=5 * 1024 * 1024, backupCount=3)
        to_file.setFormatter(formatter)
        root.addHandler(to_file)
    except OSError as exc:
        root.warning("cannot write log file %s: %s", log_file, exc)
    if buffer is not None:
        root.addHandler(BufferHandler(buffer))
