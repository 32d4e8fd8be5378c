"""Consumer of the agents service's server events: keeps the ``servers`` placement projection.

It starts before the AGENTS stream may exist (the agents service creates it), so it retries until the
stream is there. A payload that does not parse is logged and acknowledged: redelivering it cannot help.
"""

from __future__ import annotations

from datetime import UTC, datetime

import nats.js
from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from switchyard.agents.v1 import events_pb2 as agents_events
from switchyard.bus import BackgroundConsumer
from switchyard.deploy.domain.placement.models import ServerSeen
from switchyard.deploy.domain.placement.projection import ServerProjection
from switchyard.obs import get_logger

STREAM = "AGENTS"
SUBJECT = "agents.server.>"
DURABLE = "deploy.servers"
RETRY_SECONDS = 1.0

log = get_logger(__name__)


def _when(message: agents_events.ServerRegistered | agents_events.ServerRevoked) -> datetime:
    if message.HasField("occurred_at"):
        return message.occurred_at.ToDatetime(tzinfo=UTC)
    return datetime.now(UTC)


def seen_of(msg: Msg) -> ServerSeen | None:
    """What an event says about a server; None for other subjects or unusable payloads."""
    verb = msg.subject.rsplit(".", 1)[-1]
    try:
        if verb == "registered":
            registered = agents_events.ServerRegistered.FromString(msg.data)
            server = registered.server
            return ServerSeen(
                server_id=server.id, org_id=server.org_id, occurred_at=_when(registered), registered=True
            )
        if verb == "revoked":
            revoked = agents_events.ServerRevoked.FromString(msg.data)
            return ServerSeen(
                server_id=revoked.server_id,
                org_id=revoked.org_id,
                occurred_at=_when(revoked),
                registered=False,
                deleted=revoked.deleted,
            )
    except DecodeError:
        log.warning("undecodable agents server event", subject=msg.subject)
    return None


class ServerEventsConsumer(BackgroundConsumer):
    """Runs the durable consumer (``deploy.servers`` by default) until stopped."""

    def __init__(
        self, js: nats.js.JetStreamContext, projection: ServerProjection, *, durable: str = DURABLE
    ) -> None:
        self._projection = projection
        super().__init__(
            js,
            stream=STREAM,
            durable=durable,
            subject=SUBJECT,
            handler=self._handle,
            name="deploy-server-events",
            retry_seconds=RETRY_SECONDS,
        )

    async def _handle(self, msg: Msg) -> None:
        seen = seen_of(msg)
        if seen is not None:
            await self._projection.apply(seen)
