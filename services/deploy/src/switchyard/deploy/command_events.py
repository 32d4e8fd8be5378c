"""Consumer of the agents service's command events (stream ``AGENTS``, filter ``agents.command.>``):
``agents.command.progress`` and ``agents.command.finished`` of APP_DEPLOY commands update the deployment
whose id is the command id (commands deploy did not issue match no deployment and are acknowledged)."""

from __future__ import annotations

from datetime import UTC, datetime

import nats.js
from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from switchyard.agents.v1 import events_pb2 as agents_events
from switchyard.agents.v1 import progress_pb2
from switchyard.bus import BackgroundConsumer
from switchyard.deploy.domain.deployments.models import APP_DEPLOY
from switchyard.deploy.domain.deployments.service import DeploymentService
from switchyard.obs import get_logger

STREAM = "AGENTS"
SUBJECT = "agents.command.>"
DURABLE = "deploy.commands"

log = get_logger(__name__)


class CommandEventsConsumer(BackgroundConsumer):
    """Runs the durable consumer (``deploy.commands`` by default) until stopped."""

    def __init__(
        self, js: nats.js.JetStreamContext, deployments: DeploymentService, *, durable: str = DURABLE
    ) -> None:
        self._deployments = deployments
        super().__init__(
            js,
            stream=STREAM,
            durable=durable,
            subject=SUBJECT,
            handler=self._handle,
            name="deploy-command-events",
            retry_seconds=1.0,
        )

    async def _handle(self, msg: Msg) -> None:
        verb = msg.subject.rsplit(".", 1)[-1]
        try:
            if verb == "progress":
                progress = progress_pb2.CommandProgress.FromString(msg.data)
                if progress.type == APP_DEPLOY:
                    at = (
                        progress.occurred_at.ToDatetime(tzinfo=UTC)
                        if progress.HasField("occurred_at")
                        else None
                    )
                    await self._deployments.command_progress(
                        org_id=progress.org_id,
                        command_id=progress.command_id,
                        output=progress.output,
                        at=at or datetime.now(UTC),
                    )
            elif verb == "finished":
                command = agents_events.CommandFinished.FromString(msg.data).command
                if command.type == APP_DEPLOY:
                    await self._deployments.command_finished(
                        org_id=command.org_id,
                        command_id=command.id,
                        status=command.status,
                        output=command.output,
                    )
        except DecodeError:
            log.warning("undecodable agents command event", subject=msg.subject)
