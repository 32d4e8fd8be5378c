"""What the domain needs from the outside world, as protocols the composition root fills.

The hot state (worker presence, the work queue, issue locks) lives in Redis behind these ports, so the
domain stays free of transport imports and a heartbeat never needs PostgreSQL.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.workers.domain.events import CredentialsRotated, Event


@dataclass(frozen=True, slots=True)
class Presence:
    """A live worker as kept in Redis."""

    id: str
    org_id: str
    hostname: str
    capacity: int
    version: str
    machine_id: str
    region: str
    capabilities: tuple[str, ...]
    all_projects: bool
    project_ids: tuple[str, ...]
    # The registration key's own project scope; ("*",) for org-wide keys.
    key_project_ids: tuple[str, ...]
    status: str
    active_count: int
    registration_key_id: str
    registered_at: datetime
    last_heartbeat_at: datetime | None


@dataclass(frozen=True, slots=True)
class Beat:
    """What one heartbeat changes; ``None``/empty fields keep the stored value."""

    at: datetime
    status: str
    active_count: int
    max_sessions: int
    hostname: str
    region: str
    version: str
    capabilities: tuple[str, ...]
    allowlist_hash: str
    project_admission_mode: str
    load_cpu: float | None
    load_memory: float | None
    # Set only when the beat carried a new project list.
    projects: tuple[bool, tuple[str, ...]] | None


@dataclass(frozen=True, slots=True)
class BeatOutcome:
    """What Redis answers to a beat of a known worker."""

    pending_work_count: int
    # Some mutation of the mutations service may be open for the worker (a projection of its events).
    mutations_pending: bool


@dataclass(frozen=True, slots=True)
class WorkerLoad:
    """What a live worker can take: its capacity, what it reports running and the sessions it holds."""

    worker_id: str
    capacity: int
    active_count: int
    held: int


class Fleet(Protocol):
    """Worker presence with a TTL, plus each worker's set of held sessions."""

    async def put(self, worker: Presence, *, ttl_seconds: int) -> None:
        """Store a freshly registered worker."""

    async def beat(self, worker_id: str, beat: Beat, *, ttl_seconds: int) -> BeatOutcome | None:
        """Apply a beat and renew the TTL; None when the worker is unknown or expired."""

    async def get(self, worker_id: str) -> Presence | None:
        """A live worker, or None when unknown or expired."""

    async def delete(self, worker_id: str) -> None:
        """Forget a worker and its session set."""

    async def held(self, worker_id: str) -> set[str]:
        """Sessions the worker holds (claimed or running)."""

    async def hold(self, worker_id: str, session_ids: list[str], *, ttl_seconds: int) -> None:
        """Add sessions to the worker's set."""

    async def let_go(self, worker_id: str, session_id: str) -> None:
        """Remove one session from the worker's set."""

    async def live(self, org_id: str, *, now: datetime) -> list[WorkerLoad]:
        """The org's workers whose presence has not expired at ``now``, with their load."""


class WorkQueue(Protocol):
    """One priority queue per org (sorted set: lower score pops first)."""

    async def push(self, org_id: str, items: dict[str, float]) -> None:
        """Queue session ids with their scores."""

    async def pop(self, org_id: str, count: int) -> list[tuple[str, float]]:
        """Pop up to ``count`` lowest-score items."""

    async def remove(self, org_id: str, session_id: str) -> None:
        """Drop a session from the queue (it was stopped while queued)."""

    async def present(self, org_id: str, session_ids: list[str]) -> set[str]:
        """Which of these sessions are in the org's queue."""

    async def depth(self, org_id: str) -> int:
        """How many items wait in the org's queue."""


class IssueLocks(Protocol):
    """One active session per issue; later work for a locked issue waits parked."""

    async def acquire(self, org_id: str, issue_id: str, session_id: str, *, ttl_seconds: int) -> bool:
        """Take the lock when free (or already ours)."""

    async def refresh(self, org_id: str, issue_id: str, session_id: str, *, ttl_seconds: int) -> bool:
        """Extend the lock when ours, take it when free; False when another session holds it."""

    async def release(self, org_id: str, issue_id: str, session_id: str) -> bool:
        """Release the lock only when ``session_id`` holds it."""

    async def park(self, org_id: str, issue_id: str, session_id: str, score: float) -> None:
        """Park work for a locked issue."""

    async def unpark(self, org_id: str, issue_id: str) -> tuple[str, float] | None:
        """Take the next parked work of an issue, if any."""

    async def parked(self, org_id: str, issue_id: str, session_id: str) -> bool:
        """Whether the session waits parked behind its issue's lock."""


class EventSink(Protocol):
    """Writes domain events to the outbox inside the caller's transaction."""

    async def add(self, session: AsyncSession, event: Event) -> None:
        """Queue ``event`` for publication when ``session`` commits."""


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """One message in a session's inbox lane; ``id`` is its stream entry id."""

    id: str
    session_id: str
    lane: str
    fields: dict[str, str]


class Inbox(Protocol):
    """Per-session inbox lanes (Redis streams) read through one consumer group, one consumer per worker."""

    async def add(self, session_id: str, lane: str, fields: dict[str, str], *, ttl_seconds: int) -> str:
        """Append a message to the lane; its stream entry id."""

    async def read(self, worker_id: str, session_ids: list[str]) -> list[InboxEntry]:
        """Every message of these sessions the worker has not ACKed yet, urgent lane first."""

    async def ack(self, session_id: str, lane: str, message_id: str) -> int:
        """XACK one message; how many were acknowledged (0 when already or never pending)."""


@dataclass(frozen=True, slots=True)
class FileHold:
    """A reservation another session holds."""

    file_path: str
    session_id: str
    reserved_at_ms: int


class FileLocks(Protocol):
    """File reservations per org and repository, with a TTL, plus each session's set of them."""

    async def reserve(
        self, scope: tuple[str, str], session_id: str, paths: list[str], *, now_ms: int, ttl_seconds: int
    ) -> tuple[list[str], list[FileHold]]:
        """Reserve free paths (or renew the session's own); the reserved paths and the others' holds."""

    async def release(self, scope: tuple[str, str], session_id: str, paths: list[str]) -> int:
        """Release the session's own reservations of these paths; how many."""

    async def release_all(self, session_id: str) -> int:
        """Release every reservation of the session; how many."""

    async def holders(self, scope: tuple[str, str], session_id: str, paths: list[str]) -> list[FileHold]:
        """Reservations of these paths held by other sessions."""


@dataclass(frozen=True, slots=True)
class MutationMark:
    """One mutation of a worker host that is open (pending or delivered, unACKed) or closed for good."""

    worker_id: str
    mutation_id: str
    open: bool


class MutationFlags(Protocol):
    """Which workers have open daemon mutations: a projection of the mutations service's events."""

    async def track(self, marks: list[MutationMark]) -> int:
        """Apply the marks (a closed mutation is never reopened); how many were applied."""


@dataclass(frozen=True, slots=True)
class RotationNotice:
    """A credential rotation as a replica received it."""

    org_id: str
    kind: str
    rotated_at: datetime


class RotationInbox(Protocol):
    """One watcher's queue of rotations of its org."""

    async def next(self, wait_seconds: float) -> RotationNotice | None:
        """The next rotation, or None when ``wait_seconds`` pass without one."""


class RotationFeed(Protocol):
    """Rotations across replicas: staged in the outbox, announced at once, fanned out to local watchers."""

    def stage(self, session: AsyncSession, event: CredentialsRotated, *, msg_id: str) -> None:
        """Write the rotation to the outbox in the caller's transaction under ``msg_id``."""

    async def announce(self, event: CredentialsRotated, *, msg_id: str) -> None:
        """Publish a committed rotation now (same ``msg_id``, so JetStream keeps one copy); best effort."""

    def subscribe(self, org_id: str) -> AbstractAsyncContextManager[RotationInbox]:
        """Receive the org's rotations while the context is open."""


class WatcherRegistry(Protocol):
    """Live rotation watchers of each org across every replica, each with an expiry it keeps renewing."""

    async def touch(self, org_id: str, watcher_id: str, *, expires_at_ms: int) -> None:
        """Register or renew a watcher until ``expires_at_ms``."""

    async def remove(self, org_id: str, watcher_id: str) -> None:
        """Forget a watcher that closed."""

    async def count(self, org_id: str, *, now_ms: int) -> int:
        """Watchers of the org that have not expired (expired ones are pruned)."""
