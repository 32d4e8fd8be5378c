"""Start, reuse, inspect and stop the three embedded servers recorded in ``.data/stack.json``."""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psutil
from switchyard.stack import _nats, _postgres, _valkey
from switchyard.stack._paths import StackPaths
from switchyard.stack._proc import LOOPBACK, free_port, pid_alive, port_answers, stop_pid
from switchyard.stack._state import SERVER_NAMES, ServerRecord, StackState, load_state, locked, save_state
from switchyard.stack._urls import StackUrls

STOP_TIMEOUT = 20.0

_STARTERS: dict[str, Callable[[StackPaths, int], int]] = {
    "postgres": _postgres.start,
    "valkey": _valkey.start,
    "nats": _nats.start,
}
# Process names as psutil reports them, so a recycled pid is never mistaken for our server.
_PROCESS_NAMES = {"postgres": "postgres", "valkey": "valkey-server", "nats": "nats-server"}


@dataclass(frozen=True, slots=True)
class StackStart:
    """Result of :func:`start_stack`.

    Attributes:
        urls: URLs of the running servers.
        started: Names of the servers this call started (the others were already running).
        paths: Where the stack keeps its files.
    """

    urls: StackUrls
    started: tuple[str, ...]
    paths: StackPaths


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """One line of ``status``.

    Attributes:
        name: Server name.
        port: Remembered port (0 when never started).
        pid: Pid of the running server (0 when stopped).
        running: Whether it runs and answers on its port.
    """

    name: str
    port: int
    pid: int
    running: bool


def urls_for(state: StackState) -> StackUrls:
    """Build the URLs from the ports in ``state``."""
    ports = {name: rec.port for name, rec in state.servers.items()}
    return StackUrls(
        database_url=f"postgresql://{state.pg_user}@{LOOPBACK}:{ports['postgres']}/{state.database}",
        redis_url=f"redis://{LOOPBACK}:{ports['valkey']}/0",
        nats_url=f"nats://{LOOPBACK}:{ports['nats']}",
    )


def _is_ours(pid: int, name: str) -> bool:
    try:
        alive: bool = pid_alive(pid)
        return alive and psutil.Process(pid).name() == _PROCESS_NAMES[name]
    except psutil.NoSuchProcess:
        return False


def _live_pid(paths: StackPaths, name: str, rec: ServerRecord | None) -> int:
    """Pid of the server ``name`` when it runs and answers on its remembered port, else 0."""
    if rec is None:
        return 0
    pid = _postgres.running_pid(paths) if name == "postgres" else rec.pid
    if not _is_ours(pid, name):
        return 0
    answers: Callable[[], bool] = {
        "postgres": lambda: port_answers(rec.port),
        "valkey": lambda: _valkey.pings(rec.port),
        "nats": lambda: _nats.jetstream_ready(rec.port),
    }[name]
    return pid if answers() else 0


def start_stack(paths: StackPaths | None = None) -> StackStart:
    """Start every server that is not already running and create the ``switchyard`` database.

    Ports are chosen free on first start and then kept; a remembered port taken by another program is
    replaced by a new free one.

    Args:
        paths: Where to keep data; defaults to ``StackPaths.resolve()``.

    Returns:
        The URLs and which servers this call started.
    """
    paths = paths or StackPaths.resolve()
    paths.ensure()
    started: list[str] = []
    with locked(paths.lock_file):
        state = load_state(paths.state_file)
        for name in SERVER_NAMES:
            rec = state.servers.get(name)
            pid = _live_pid(paths, name, rec)
            if pid:
                state.servers[name] = ServerRecord(port=rec.port if rec else 0, pid=pid)
                continue
            port = rec.port if rec is not None and not port_answers(rec.port) else free_port()
            state.servers[name] = ServerRecord(port=port, pid=_STARTERS[name](paths, port))
            started.append(name)
            # Saved after each server so a failure further on still leaves `down` able to stop this one.
            save_state(paths.state_file, state)
        save_state(paths.state_file, state)
        _postgres.ensure_database(paths, state.servers["postgres"].port, state.database)
    return StackStart(urls=urls_for(state), started=tuple(started), paths=paths)


def stop_stack(paths: StackPaths | None = None, names: Sequence[str] = SERVER_NAMES) -> list[str]:
    """Stop the named servers recorded in ``stack.json``: SIGTERM (PostgreSQL: SIGINT), wait, SIGKILL.

    Args:
        paths: Where the stack keeps its data.
        names: Servers to stop; default all.

    Returns:
        Names of the servers that were running and are now stopped.
    """
    paths = paths or StackPaths.resolve()
    with locked(paths.lock_file):
        state = load_state(paths.state_file)
        stopped = stop_servers_locked(paths, state, names)
        save_state(paths.state_file, state)
    return stopped


def stop_servers_locked(paths: StackPaths, state: StackState, names: Sequence[str]) -> list[str]:
    """Stop the named servers and clear their pids in ``state``; the caller holds the lock and saves."""
    stopped: list[str] = []
    for name in reversed(SERVER_NAMES):
        rec = state.servers.get(name)
        if name not in names or rec is None:
            continue
        pid = _postgres.running_pid(paths) if name == "postgres" else rec.pid
        if _is_ours(pid, name):
            # PostgreSQL's SIGTERM is "smart" shutdown and waits for every client; SIGINT is its clean
            # "fast" shutdown that a leftover pool connection cannot hold up.
            sig = signal.SIGINT if name == "postgres" else signal.SIGTERM
            stop_pid(pid, sig=sig, timeout=STOP_TIMEOUT)
            stopped.append(name)
        rec.pid = 0
    return stopped


def stack_status(paths: StackPaths | None = None) -> list[ServerStatus]:
    """Report each server's port, pid and whether it answers."""
    paths = paths or StackPaths.resolve()
    state = load_state(paths.state_file)
    lines = []
    for name in SERVER_NAMES:
        rec = state.servers.get(name)
        pid = _live_pid(paths, name, rec)
        lines.append(ServerStatus(name=name, port=rec.port if rec else 0, pid=pid, running=bool(pid)))
    return lines


def running_urls(paths: StackPaths | None = None) -> StackUrls | None:
    """URLs of the recorded stack when all three servers run, else ``None``."""
    paths = paths or StackPaths.resolve()
    if not all(line.running for line in stack_status(paths)):
        return None
    return urls_for(load_state(paths.state_file))
