"""Domain events; ``switchyard.workers.events`` turns them into protobuf payloads on the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WORKER_REGISTERED = "workers.worker.registered"
WORKER_DEREGISTERED = "workers.worker.deregistered"
SESSION_QUEUED = "workers.session.queued"
SESSION_CLAIMED = "workers.session.claimed"
SESSION_STATUS_CHANGED = "workers.session.status_changed"
CREDENTIALS_SNAPSHOTTED = "workers.credentials.snapshotted"
# Followed by ".<org id>": each replica subscribes to the prefix and fans out by org.
CREDENTIALS_ROTATED_PREFIX = "workers.credentials.rotated"


@dataclass(frozen=True, slots=True)
class WorkerRegistered:
    """A daemon host registered."""

    worker_id: str
    org_id: str
    hostname: str
    registration_key_id: str
    occurred_at: datetime
    subject: str = WORKER_REGISTERED


@dataclass(frozen=True, slots=True)
class WorkerDeregistered:
    """A worker left; the sessions it had claimed went back to the queue."""

    worker_id: str
    org_id: str
    unclaimed_session_ids: tuple[str, ...]
    occurred_at: datetime
    subject: str = WORKER_DEREGISTERED


@dataclass(frozen=True, slots=True)
class SessionQueued:
    """Work was queued for an issue."""

    session_id: str
    org_id: str
    issue_id: str
    priority: int
    work_type: str
    occurred_at: datetime
    subject: str = SESSION_QUEUED


@dataclass(frozen=True, slots=True)
class SessionClaimed:
    """A worker pre-claimed a session with poll."""

    session_id: str
    org_id: str
    worker_id: str
    occurred_at: datetime
    subject: str = SESSION_CLAIMED


@dataclass(frozen=True, slots=True)
class SessionStatusChanged:
    """A session moved through the FSM."""

    session_id: str
    org_id: str
    worker_id: str
    from_status: str
    to_status: str
    total_cost_usd: float
    error_message: str
    occurred_at: datetime
    subject: str = SESSION_STATUS_CHANGED


@dataclass(frozen=True, slots=True)
class CredentialsSnapshotted:
    """A daemon fetched a credential snapshot; the audit names what was served, never a value."""

    org_id: str
    project_id: str
    env_name: str
    session_id: str
    names: tuple[str, ...]
    actor_kind: str
    actor_id: str
    occurred_at: datetime
    subject: str = CREDENTIALS_SNAPSHOTTED


@dataclass(frozen=True, slots=True)
class CredentialsRotated:
    """A credential kind of an org was rotated; its subject carries the org so replicas fan out by it."""

    org_id: str
    kind: str
    rotated_at: datetime
    actor_kind: str
    actor_id: str
    subject: str

    @classmethod
    def of(
        cls, *, org_id: str, kind: str, rotated_at: datetime, actor_kind: str, actor_id: str
    ) -> CredentialsRotated:
        """The event on ``workers.credentials.rotated.<org_id>``."""
        subject = f"{CREDENTIALS_ROTATED_PREFIX}.{org_id}"
        return cls(org_id, kind, rotated_at, actor_kind, actor_id, subject)


Event = (
    WorkerRegistered
    | WorkerDeregistered
    | SessionQueued
    | SessionClaimed
    | SessionStatusChanged
    | CredentialsSnapshotted
    | CredentialsRotated
)
