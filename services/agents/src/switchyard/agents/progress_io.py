"""``ProgressSink`` on JetStream: ``agents.command.progress`` (``CommandProgress``), published directly.

Not through the outbox: a frame lost in a crash is acceptable, the final state is always
``agents.command.finished`` from the outbox.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import nats.js
from switchyard.agents.rpc import _mapping as m
from switchyard.agents.v1 import progress_pb2
from switchyard.bus import publish

COMMAND_PROGRESS = "agents.command.progress"


class JetStreamProgress:
    """Publishes one ``CommandProgress`` per progress frame."""

    def __init__(self, js: nats.js.JetStreamContext) -> None:
        self._js = js

    async def progress(
        self,
        *,
        org_id: str,
        server_id: str,
        command_id: str,
        type: int,
        status: str,
        output: str,
        at: datetime,
    ) -> None:
        """Publish the frame (awaits the stream's ack)."""
        event = progress_pb2.CommandProgress(
            org_id=org_id,
            server_id=server_id,
            command_id=command_id,
            type=type,
            status=status,
            output=output,
            occurred_at=m.ts(at),
        )
        await publish(self._js, COMMAND_PROGRESS, event.SerializeToString(), msg_id=str(uuid.uuid4()))
