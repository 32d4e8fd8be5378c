"""Consumer of the agents service's ``agents.command.finished``: the final answer of deploy's route commands.

Only ROUTE_ADD/ROUTE_REMOVE results are looked at, and only those naming a domain's latest command change
anything (``DomainService.finished``); every other command is acknowledged untouched. A result that beat
the storing of its command id is redelivered (the handler raises, the consumer naks).
"""

from __future__ import annotations

import nats.js
from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from switchyard.agents.v1 import events_pb2 as agents_events
from switchyard.bus import BackgroundConsumer
from switchyard.deploy.domain.domains.models import CommandResult
from switchyard.deploy.domain.domains.service import DomainService
from switchyard.obs import get_logger

STREAM = "AGENTS"
SUBJECT = "agents.command.finished"
DURABLE = "deploy.domains"
RETRY_SECONDS = 1.0

log = get_logger(__name__)


def result_of(msg: Msg) -> CommandResult | None:
    """The command a ``CommandFinished`` names; None when the payload does not parse."""
    try:
        command = agents_events.CommandFinished.FromString(msg.data).command
    except DecodeError:
        log.warning("undecodable command finished event", subject=msg.subject)
        return None
    return CommandResult(
        command_id=command.id,
        server_id=command.server_id,
        type=command.type,
        status=command.status,
        output=command.output,
    )


class RouteResultsConsumer(BackgroundConsumer):
    """Runs the durable consumer (``deploy.domains`` by default) until stopped."""

    def __init__(
        self, js: nats.js.JetStreamContext, domains: DomainService, *, durable: str = DURABLE
    ) -> None:
        self._domains = domains
        super().__init__(
            js,
            stream=STREAM,
            durable=durable,
            subject=SUBJECT,
            handler=self._handle,
            name="deploy-command-results",
            retry_seconds=RETRY_SECONDS,
        )

    async def _handle(self, msg: Msg) -> None:
        result = result_of(msg)
        if result is not None:
            await self._domains.finished(result)
