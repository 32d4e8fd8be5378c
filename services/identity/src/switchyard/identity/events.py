"""Identity's events: stream and subjects, and the outbox writer that turns domain events into protobuf."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.db.outbox import add_outbox
from switchyard.identity.db.models import outbox
from switchyard.identity.domain import events as ev
from switchyard.identity.v1 import events_pb2

STREAM = "IDENTITY"
SUBJECTS = ["identity.>"]


def _ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def to_proto(event: ev.Event) -> Message:
    """The ``events.proto`` payload of a domain event."""
    if isinstance(event, ev.UserRegistered):
        return events_pb2.UserRegistered(
            user_id=event.user_id,
            email=event.email,
            personal_tenant_id=event.personal_tenant_id,
            occurred_at=_ts(event.occurred_at),
        )
    if isinstance(event, ev.UserVerified):
        return events_pb2.UserVerified(user_id=event.user_id, occurred_at=_ts(event.occurred_at))
    if isinstance(event, ev.TenantCreated):
        return events_pb2.TenantCreated(
            tenant_id=event.tenant_id,
            name=event.name,
            slug=event.slug,
            owner_user_id=event.owner_user_id,
            occurred_at=_ts(event.occurred_at),
        )
    if isinstance(event, ev.MemberChanged):
        return events_pb2.MemberChanged(
            tenant_id=event.tenant_id,
            user_id=event.user_id,
            email=event.email,
            role=event.role,
            actor_user_id=event.actor_user_id,
            occurred_at=_ts(event.occurred_at),
        )
    if isinstance(event, ev.TokenRevoked):
        return events_pb2.TokenRevoked(
            token_id=event.token_id,
            user_id=event.user_id,
            expires_at=_ts(event.expires_at),
            occurred_at=_ts(event.occurred_at),
        )
    return events_pb2.ApiKeyChanged(
        key_id=event.key_id,
        kind=event.kind,
        tenant_id=event.tenant_id,
        actor_user_id=event.actor_user_id,
        occurred_at=_ts(event.occurred_at),
    )


class OutboxEvents:
    """``EventSink`` backed by the outbox table; the relay publishes rows after commit."""

    async def add(self, session: AsyncSession, event: ev.Event) -> None:
        """Queue ``event`` in the session's transaction (a random msg id dedupes relays)."""
        add_outbox(session, outbox, subject=event.subject, payload=to_proto(event).SerializeToString())
