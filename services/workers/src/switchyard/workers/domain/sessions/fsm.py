"""The session state machine (pure)."""

from __future__ import annotations

from switchyard.grpckit.errors import Conflict, InvalidArgument

PENDING = "pending"
CLAIMED = "claimed"
RUNNING = "running"
FINALIZING = "finalizing"
COMPLETED = "completed"
FAILED = "failed"
STOPPED = "stopped"

TERMINAL = frozenset({COMPLETED, FAILED, STOPPED})
# What a worker may post; pending and claimed are reached only through the queue.
WORKER_TARGETS = (RUNNING, FINALIZING, COMPLETED, FAILED, STOPPED)

# The real daemon posts completed/failed straight from running (no finalizing), and may give up on a
# claimed session before it starts, so those edges are allowed; everything else is an impossible jump.
_NEXT: dict[str, frozenset[str]] = {
    PENDING: frozenset({CLAIMED, STOPPED}),
    CLAIMED: frozenset({PENDING, RUNNING, FAILED, STOPPED}),
    RUNNING: frozenset({FINALIZING, COMPLETED, FAILED, STOPPED}),
    FINALIZING: frozenset({COMPLETED, FAILED}),
    COMPLETED: frozenset(),
    FAILED: frozenset(),
    STOPPED: frozenset(),
}


def worker_target(value: str) -> str:
    """A status a worker may post, or InvalidArgument naming the field."""
    status = (value or "").strip()
    if status not in WORKER_TARGETS:
        raise InvalidArgument(f"status must be one of {', '.join(WORKER_TARGETS)}")
    return status


def transition(current: str, target: str) -> bool:
    """True when ``current -> target`` changes the state, False for an idempotent repeat.

    Raises:
        Conflict: the jump is impossible (HTTP 409).
    """
    if current == target:
        return False
    if target not in _NEXT.get(current, frozenset()):
        raise Conflict(f"Cannot transition session from {current} to {target}")
    return True


def public_status(status: str) -> str:
    """The public vocabulary: queued, working, completed, failed, stopped."""
    if status == PENDING:
        return "queued"
    if status in (CLAIMED, RUNNING, FINALIZING):
        return "working"
    return status
