"""Deploy's events: stream and subjects, and the outbox writer that turns domain events into protobuf."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.db.outbox import add_outbox
from switchyard.deploy.db.models import outbox
from switchyard.deploy.domain import events as ev
from switchyard.deploy.rpc import _mapping as m
from switchyard.deploy.v1 import events_pb2

STREAM = "DEPLOY"
# The outbox's subjects only: deploy.progress.> belongs to the DEPLOY_PROGRESS stream (24 h), and streams may
# not overlap.
SUBJECTS = ["deploy.change.>", "deploy.envvar.>"]


def to_payload(event: ev.Event) -> bytes:
    """The ``events.proto`` payload of a domain event."""
    if isinstance(event, ev.ChangeRecorded):
        return events_pb2.ChangeRecorded(change=m.change(event.change)).SerializeToString()
    return events_pb2.EnvVarRevealed(
        org_id=event.org_id,
        app_id=event.app_id,
        environment=event.environment,
        key=event.key,
        actor=event.actor,
        reason=event.reason,
        occurred_at=m.ts(event.occurred_at),
    ).SerializeToString()


class OutboxEvents:
    """``EventSink`` backed by the outbox table; the relay publishes rows after commit."""

    async def add(self, session: AsyncSession, event: ev.Event) -> None:
        """Queue ``event`` in the session's transaction; its msg id dedupes relays and retries."""
        add_outbox(session, outbox, subject=event.subject, payload=to_payload(event), msg_id=event.msg_id)
