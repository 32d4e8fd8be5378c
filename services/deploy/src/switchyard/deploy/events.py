"""Deploy's events: stream and subjects, and the outbox writer that turns domain events into protobuf."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.db.outbox import add_outbox
from switchyard.deploy.db.models import outbox
from switchyard.deploy.domain import events as ev
from switchyard.deploy.rpc import _mapping as m
from switchyard.deploy.v1 import domains_pb2, events_pb2

STREAM = "DEPLOY"
# The outbox's subjects only: deploy.progress.> belongs to the DEPLOY_PROGRESS stream (24 h), and streams may
# not overlap.
SUBJECTS = ["deploy.change.>", "deploy.envvar.>", "deploy.routes.>"]


def to_payload(event: ev.Event) -> bytes:
    """The ``events.proto`` payload of a domain event."""
    if isinstance(event, ev.ChangeRecorded):
        return events_pb2.ChangeRecorded(change=m.change(event.change)).SerializeToString()
    if isinstance(event, ev.ServerRoutesChanged):
        return routes_changed(event).SerializeToString()
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


def routes_changed(event: ev.ServerRoutesChanged) -> domains_pb2.ServerRoutesChanged:
    """The wire form of a canonical route snapshot."""
    return domains_pb2.ServerRoutesChanged(
        server_id=event.server_id,
        org_id=event.org_id,
        version=event.version,
        routes=[
            domains_pb2.CanonicalRoute(
                domain=r.domain,
                app_id=r.app_id,
                domain_id=r.domain_id,
                upstream_host=r.upstream_host,
                upstream_port=r.upstream_port,
                tls=r.tls,
            )
            for r in event.routes
        ],
        occurred_at=m.ts(event.occurred_at),
    )
