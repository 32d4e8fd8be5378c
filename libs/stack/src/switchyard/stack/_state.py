"""``.data/stack.json``: the ports chosen at first start and the pids of running servers."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SERVER_NAMES = ("postgres", "valkey", "nats")


@dataclass(slots=True)
class ServerRecord:
    """One server: its port (kept across runs) and the pid of the running process (0 when stopped).

    Attributes:
        port: TCP port on 127.0.0.1.
        pid: Process id, or 0 when not running.
    """

    port: int
    pid: int = 0


@dataclass(slots=True)
class StackState:
    """Contents of ``stack.json``.

    Attributes:
        servers: Records keyed by server name (``postgres``, ``valkey``, ``nats``).
        pg_user: PostgreSQL role in the URL.
        database: Database created for the suite.
        leases: Pids of processes (pytest runs, ``just up``) using the stack right now.
        ephemeral: Servers a lease holder started; the last holder to leave stops them.
    """

    servers: dict[str, ServerRecord] = field(default_factory=dict)
    pg_user: str = "postgres"
    database: str = "switchyard"
    leases: list[int] = field(default_factory=list)
    ephemeral: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """Serialise to the JSON kept on disk."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> StackState:
        """Parse the JSON kept on disk; unknown keys are ignored so older files still load."""
        raw: dict[str, Any] = json.loads(text)
        servers = {
            name: ServerRecord(port=int(rec["port"]), pid=int(rec.get("pid", 0)))
            for name, rec in raw.get("servers", {}).items()
        }
        return cls(
            servers=servers,
            pg_user=str(raw.get("pg_user", "postgres")),
            database=str(raw.get("database", "switchyard")),
            leases=[int(pid) for pid in raw.get("leases", [])],
            ephemeral=[str(name) for name in raw.get("ephemeral", [])],
        )


def load_state(path: Path) -> StackState:
    """Read ``stack.json``; a missing file is an empty state."""
    if not path.is_file():
        return StackState()
    return StackState.from_json(path.read_text())


def save_state(path: Path, state: StackState) -> None:
    """Write ``stack.json`` atomically (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(state.to_json())
    tmp.replace(path)


@contextmanager
def locked(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock so concurrent ``just up`` and pytest runs never start a server twice."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
