"""Shared use of one stack by several processes (overlapping pytest runs, ``just up``).

A holder registers its pid before starting anything, so a holder that leaves meanwhile never stops servers
another one is about to use. Servers started by a holder are stopped when the last holder leaves; servers
started by ``up-servers`` (no lease) run until ``down``.
"""

from __future__ import annotations

import os

from switchyard.stack._paths import StackPaths
from switchyard.stack._proc import pid_alive
from switchyard.stack._stack import StackStart, start_stack, stop_servers_locked
from switchyard.stack._state import load_state, locked, save_state


def acquire_stack(paths: StackPaths | None = None) -> StackStart:
    """Register this process as a user of the stack, then start whatever is not running.

    Returns:
        The URLs and the servers this call started.
    """
    paths = paths or StackPaths.resolve()
    paths.ensure()
    me = os.getpid()
    with locked(paths.lock_file):
        state = load_state(paths.state_file)
        state.leases = sorted({*state.leases, me})
        save_state(paths.state_file, state)
    try:
        result = start_stack(paths)
    except BaseException:
        release_stack(paths)
        raise
    with locked(paths.lock_file):
        state = load_state(paths.state_file)
        state.ephemeral = sorted({*state.ephemeral, *result.started})
        save_state(paths.state_file, state)
    return result


def release_stack(paths: StackPaths | None = None) -> list[str]:
    """Drop this process's lease; the last holder stops the servers holders started.

    Returns:
        Names of the servers stopped by this call.
    """
    paths = paths or StackPaths.resolve()
    me = os.getpid()
    with locked(paths.lock_file):
        state = load_state(paths.state_file)
        # Pids of crashed holders are dropped too, so their servers do not run forever.
        state.leases = [pid for pid in state.leases if pid != me and pid_alive(pid)]
        stopped: list[str] = []
        if not state.leases and state.ephemeral:
            stopped = stop_servers_locked(paths, state, state.ephemeral)
            state.ephemeral = []
        save_state(paths.state_file, state)
    return stopped
