"""The telemetry consumers a server runs: OTLP exports (INGEST) and agent log batches (AGENTS)."""

from __future__ import annotations

import nats.js
from switchyard.ingest.config import Settings
from switchyard.ingest.domain.context import Deps
from switchyard.ingest.events import AGENT_LOGS_SUBJECT, AGENTS_STREAM, OTLP_SUBJECT, STREAM
from switchyard.ingest.telemetry.agent_logs import decode_agent_logs
from switchyard.ingest.telemetry.consumer import TelemetryConsumer
from switchyard.ingest.telemetry.otlp import decode_message


def telemetry_consumers(
    js: nats.js.JetStreamContext, deps: Deps, settings: Settings
) -> tuple[TelemetryConsumer, TelemetryConsumer]:
    """The OTLP consumer and the agent-log consumer (not started)."""
    clock = deps.clock
    otlp = TelemetryConsumer(
        js,
        deps.sessions,
        clock=clock,
        stream=STREAM,
        subject=OTLP_SUBJECT,
        durable=settings.otlp_durable,
        batch_size=settings.batch_size,
        decode=lambda msg_id, headers, body: decode_message(
            msg_id=msg_id, headers=headers, body=body, now=clock()
        ),
    )
    agent_logs = TelemetryConsumer(
        js,
        deps.sessions,
        clock=clock,
        stream=AGENTS_STREAM,
        subject=AGENT_LOGS_SUBJECT,
        durable=settings.agent_logs_durable,
        batch_size=settings.batch_size,
        decode=lambda msg_id, headers, body: decode_agent_logs(msg_id=msg_id, body=body, now=clock()),
    )
    return otlp, agent_logs
