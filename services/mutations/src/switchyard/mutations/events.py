"""Mutations' events: stream and subjects, and the outbox writer that turns domain events into protobuf."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.db.outbox import add_outbox
from switchyard.mutations.db.models import outbox
from switchyard.mutations.domain import events as ev
from switchyard.mutations.rpc import _mapping as m
from switchyard.mutations.v1 import events_pb2

STREAM = "MUTATIONS"
SUBJECTS = ["mutations.>"]


def to_proto(event: ev.Event) -> events_pb2.MutationChanged:
    """The ``events.proto`` payload of a domain event."""
    return events_pb2.MutationChanged(
        mutation=m.mutation(event.mutation), occurred_at=m.ts(event.occurred_at)
    )


class OutboxEvents:
    """``EventSink`` backed by the outbox table; the relay publishes rows after commit."""

    async def add(self, session: AsyncSession, event: ev.Event) -> None:
        """Queue ``event`` in the session's transaction; its msg id dedupes relays and retries."""
        add_outbox(
            session,
            outbox,
            subject=event.subject,
            payload=to_proto(event).SerializeToString(),
            msg_id=event.msg_id,
        )
