"""Where the stack keeps its data: ``<project root>/.data`` and, as root, a folder in /var/tmp."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "SWITCHYARD_DATA_DIR"


def find_project_root(start: Path | None = None) -> Path:
    """Return the nearest directory at or above ``start`` (default: cwd) that holds ``uv.lock``.

    Raises:
        FileNotFoundError: No ``uv.lock`` anywhere above ``start``.
    """
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "uv.lock").is_file():
            return candidate
    raise FileNotFoundError(f"no uv.lock at or above {here}; set {DATA_DIR_ENV}")


def is_root() -> bool:
    """Whether this process runs as root (embedded PostgreSQL then needs its own system user)."""
    return os.geteuid() == 0


@dataclass(frozen=True, slots=True)
class StackPaths:
    """Every path the stack reads or writes.

    Attributes:
        data: ``.data`` itself.
        logs: Server log files.
        state_file: ``stack.json``: ports and pids.
        lock_file: Serialises starts and stops across processes.
        secrets_file: ``secrets.json`` (mode 0600) used by ``just up``.
        mail: Where the ``just up`` SMTP sink writes messages.
        valkey: Valkey's working directory (RDB file).
        nats: NATS JetStream store.
        pg_home: Parent of the PostgreSQL data dir; under /var/tmp when running as root.
        pg_data: The PostgreSQL data dir (``PGDATA``).
    """

    data: Path
    logs: Path
    state_file: Path
    lock_file: Path
    secrets_file: Path
    mail: Path
    valkey: Path
    nats: Path
    pg_home: Path
    pg_data: Path

    @classmethod
    def resolve(cls, data_dir: Path | None = None) -> StackPaths:
        """Compute the paths for ``data_dir`` (default: ``$SWITCHYARD_DATA_DIR`` or ``<root>/.data``)."""
        if data_dir is None:
            override = os.environ.get(DATA_DIR_ENV, "").strip()
            data_dir = Path(override) if override else find_project_root() / ".data"
        data = data_dir.resolve()
        pg_home = _root_pg_home(data) if is_root() else data
        return cls(
            data=data,
            logs=data / "logs",
            state_file=data / "stack.json",
            lock_file=data / "stack.lock",
            secrets_file=data / "secrets.json",
            mail=data / "mail",
            valkey=data / "valkey",
            nats=data / "nats",
            pg_home=pg_home,
            pg_data=pg_home / "pg",
        )

    def ensure(self) -> None:
        """Create the directories this process writes (PostgreSQL's are made by the postgres module)."""
        for path in (self.data, self.logs, self.valkey, self.nats):
            path.mkdir(parents=True, exist_ok=True)


def _root_pg_home(data: Path) -> Path:
    # As root, embedded PostgreSQL runs under an unprivileged user that must traverse every parent of its
    # data dir; /var/tmp already allows that, so nothing under the checkout needs opening up. One folder per
    # data dir keeps two checkouts from sharing a cluster.
    digest = hashlib.sha256(str(data).encode()).hexdigest()[:10]
    return Path("/var/tmp") / f"switchyard-{digest}"  # noqa: S108 - a fixed, per-checkout name on purpose
