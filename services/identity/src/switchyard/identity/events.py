"""Identity's events: stream and subjects, and the outbox writer that turns domain events into protobuf."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

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


def _user_registered(e: ev.UserRegistered) -> Message:
    return events_pb2.UserRegistered(
        user_id=e.user_id,
        email=e.email,
        personal_tenant_id=e.personal_tenant_id,
        occurred_at=_ts(e.occurred_at),
    )


def _user_verified(e: ev.UserVerified) -> Message:
    return events_pb2.UserVerified(user_id=e.user_id, occurred_at=_ts(e.occurred_at))


def _tenant_created(e: ev.TenantCreated) -> Message:
    return events_pb2.TenantCreated(
        tenant_id=e.tenant_id,
        name=e.name,
        slug=e.slug,
        owner_user_id=e.owner_user_id,
        occurred_at=_ts(e.occurred_at),
    )


def _member_changed(e: ev.MemberChanged) -> Message:
    return events_pb2.MemberChanged(
        tenant_id=e.tenant_id,
        user_id=e.user_id,
        email=e.email,
        role=e.role,
        actor_user_id=e.actor_user_id,
        occurred_at=_ts(e.occurred_at),
    )


def _token_revoked(e: ev.TokenRevoked) -> Message:
    return events_pb2.TokenRevoked(
        token_id=e.token_id, user_id=e.user_id, expires_at=_ts(e.expires_at), occurred_at=_ts(e.occurred_at)
    )


def _api_key_changed(e: ev.ApiKeyChanged) -> Message:
    return events_pb2.ApiKeyChanged(
        key_id=e.key_id,
        kind=e.kind,
        tenant_id=e.tenant_id,
        actor_user_id=e.actor_user_id,
        occurred_at=_ts(e.occurred_at),
    )


_BUILDERS: dict[type, Callable[[Any], Message]] = {
    ev.UserRegistered: _user_registered,
    ev.UserVerified: _user_verified,
    ev.TenantCreated: _tenant_created,
    ev.MemberChanged: _member_changed,
    ev.TokenRevoked: _token_revoked,
    ev.ApiKeyChanged: _api_key_changed,
}


def to_proto(event: ev.Event) -> Message:
    """The ``events.proto`` payload of a domain event."""
    return _BUILDERS[type(event)](event)


class OutboxEvents:
    """``EventSink`` backed by the outbox table; the relay publishes rows after commit."""

    async def add(self, session: AsyncSession, event: ev.Event) -> None:
        """Queue ``event`` in the session's transaction (a random msg id dedupes relays)."""
        add_outbox(session, outbox, subject=event.subject, payload=to_proto(event).SerializeToString())
