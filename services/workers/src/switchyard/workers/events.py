"""Workers' events: stream and subjects, and the outbox writer that turns domain events into protobuf."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.db.outbox import add_outbox
from switchyard.workers.db.models import outbox
from switchyard.workers.domain import events as ev
from switchyard.workers.v1 import events_pb2

STREAM = "WORKERS"
SUBJECTS = ["workers.>"]


def _ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _worker_registered(e: ev.WorkerRegistered) -> Message:
    return events_pb2.WorkerRegistered(
        worker_id=e.worker_id,
        org_id=e.org_id,
        hostname=e.hostname,
        registration_key_id=e.registration_key_id,
        occurred_at=_ts(e.occurred_at),
    )


def _worker_deregistered(e: ev.WorkerDeregistered) -> Message:
    return events_pb2.WorkerDeregistered(
        worker_id=e.worker_id,
        org_id=e.org_id,
        unclaimed_session_ids=list(e.unclaimed_session_ids),
        occurred_at=_ts(e.occurred_at),
    )


def _session_queued(e: ev.SessionQueued) -> Message:
    return events_pb2.SessionQueued(
        session_id=e.session_id,
        org_id=e.org_id,
        issue_id=e.issue_id,
        priority=e.priority,
        work_type=e.work_type,
        occurred_at=_ts(e.occurred_at),
    )


def _session_claimed(e: ev.SessionClaimed) -> Message:
    return events_pb2.SessionClaimed(
        session_id=e.session_id, org_id=e.org_id, worker_id=e.worker_id, occurred_at=_ts(e.occurred_at)
    )


def _status_changed(e: ev.SessionStatusChanged) -> Message:
    return events_pb2.SessionStatusChanged(
        session_id=e.session_id,
        org_id=e.org_id,
        worker_id=e.worker_id,
        from_status=e.from_status,
        to_status=e.to_status,
        total_cost_usd=e.total_cost_usd,
        error_message=e.error_message,
        occurred_at=_ts(e.occurred_at),
    )


def _credentials_snapshotted(e: ev.CredentialsSnapshotted) -> Message:
    return events_pb2.CredentialsSnapshotted(
        org_id=e.org_id,
        project_id=e.project_id,
        env_name=e.env_name,
        session_id=e.session_id,
        names=list(e.names),
        actor_kind=e.actor_kind,
        actor_id=e.actor_id,
        occurred_at=_ts(e.occurred_at),
    )


def _credentials_rotated(e: ev.CredentialsRotated) -> Message:
    return events_pb2.CredentialsRotated(
        org_id=e.org_id,
        kind=e.kind,
        rotated_at=_ts(e.rotated_at),
        actor_kind=e.actor_kind,
        actor_id=e.actor_id,
    )


_BUILDERS: dict[type, Callable[[Any], Message]] = {
    ev.WorkerRegistered: _worker_registered,
    ev.WorkerDeregistered: _worker_deregistered,
    ev.SessionQueued: _session_queued,
    ev.SessionClaimed: _session_claimed,
    ev.SessionStatusChanged: _status_changed,
    ev.CredentialsSnapshotted: _credentials_snapshotted,
    ev.CredentialsRotated: _credentials_rotated,
}


def to_proto(event: ev.Event) -> Message:
    """The ``events.proto`` payload of a domain event."""
    return _BUILDERS[type(event)](event)


class OutboxEvents:
    """``EventSink`` backed by the outbox table; the relay publishes rows after commit."""

    async def add(self, session: AsyncSession, event: ev.Event) -> None:
        """Queue ``event`` in the session's transaction (a random msg id dedupes relays)."""
        add_outbox(session, outbox, subject=event.subject, payload=to_proto(event).SerializeToString())
