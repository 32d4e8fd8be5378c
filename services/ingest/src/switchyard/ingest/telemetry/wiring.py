"""The telemetry consumers a server runs: OTLP exports (INGEST) and agent log batches (AGENTS)."""

from __future__ import annotations

from datetime import datetime

import nats.js
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.ingest.batch_consumer import BatchConsumer, Decode
from switchyard.ingest.config import Settings
from switchyard.ingest.domain.context import Deps
from switchyard.ingest.domain.telemetry.records import Batch
from switchyard.ingest.domain.telemetry.store import store_telemetry
from switchyard.ingest.events import AGENT_LOGS_SUBJECT, AGENTS_STREAM, OTLP_SUBJECT, STREAM
from switchyard.ingest.telemetry.agent_logs import decode_agent_logs
from switchyard.ingest.telemetry.otlp import decode_message

TelemetryConsumer = BatchConsumer[Batch]


def _otlp(msg_id: str, headers: dict[str, str], body: bytes, now: datetime) -> Batch:
    return decode_message(msg_id=msg_id, headers=headers, body=body, now=now)


def _agent_logs(msg_id: str, headers: dict[str, str], body: bytes, now: datetime) -> Batch:
    return decode_agent_logs(msg_id=msg_id, body=body, now=now)


async def _store(session: AsyncSession, batches: list[Batch], now: datetime) -> None:
    await store_telemetry(session, batches, now=now)


def telemetry_consumers(
    js: nats.js.JetStreamContext, deps: Deps, settings: Settings
) -> tuple[TelemetryConsumer, TelemetryConsumer]:
    """The OTLP consumer and the agent-log consumer (not started)."""

    def consumer(
        stream: str, subject: str, durable: str, decode: Decode[Batch], *, deliver_new: bool = False
    ) -> TelemetryConsumer:
        return TelemetryConsumer(
            js,
            deps.sessions,
            clock=deps.clock,
            stream=stream,
            subject=subject,
            durable=durable,
            batch_size=settings.batch_size,
            decode=decode,
            store=_store,
            deliver_new=deliver_new,
        )

    otlp = consumer(STREAM, OTLP_SUBJECT, settings.otlp_durable, _otlp, deliver_new=settings.otlp_deliver_new)
    # Always from the start: AGENTS is another service's stream, which may not exist yet at our first start.
    agent_logs = consumer(AGENTS_STREAM, AGENT_LOGS_SUBJECT, settings.agent_logs_durable, _agent_logs)
    return otlp, agent_logs
