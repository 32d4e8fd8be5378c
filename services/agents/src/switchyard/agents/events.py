"""Agents' events: stream and subjects, and the outbox writer that turns domain events into protobuf."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.agents.db.models import outbox
from switchyard.agents.domain import events as ev
from switchyard.agents.rpc import _mapping as m
from switchyard.agents.v1 import events_pb2
from switchyard.db.outbox import write_outbox

STREAM = "AGENTS"
# Events only: the core-NATS routing subjects (agents.cmd/result/disconnect) must not be stored.
SUBJECTS = ["agents.server.>", "agents.command.>", "agents.logs.>"]
LOGS_RECEIVED = "agents.logs.received"


def to_proto(event: ev.Event) -> events_pb2.CommandFinished | events_pb2.ServerRevoked:
    """The ``events.proto`` payload of a domain event."""
    if isinstance(event, ev.CommandFinished):
        return events_pb2.CommandFinished(
            command=m.command(event.command), occurred_at=m.ts(event.occurred_at)
        )
    return events_pb2.ServerRevoked(
        server_id=event.server_id,
        org_id=event.org_id,
        deleted=event.deleted,
        occurred_at=m.ts(event.occurred_at),
    )


class OutboxEvents:
    """``EventSink`` backed by the outbox table; the relay publishes rows after commit."""

    async def add(self, session: AsyncSession, event: ev.Event) -> None:
        """Queue ``event`` in the session's transaction; its msg id dedupes relays and retries."""
        await write_outbox(
            session,
            outbox,
            subject=event.subject,
            payload=to_proto(event).SerializeToString(),
            msg_id=event.msg_id,
        )
