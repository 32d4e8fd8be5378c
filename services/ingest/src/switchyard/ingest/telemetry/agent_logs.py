"""``agents.logs.received`` (AgentLogsReceived) decoded into log lines of the log store."""

from __future__ import annotations

from datetime import datetime

from agent.v1 import agent_pb2
from google.protobuf.message import DecodeError
from switchyard.agents.v1 import events_pb2
from switchyard.ingest.domain.sentry.envelope import Malformed
from switchyard.ingest.domain.telemetry.records import (
    SOURCE_AGENT,
    Batch,
    LogRow,
    from_unix_nano,
    normal_level,
    text,
)

# Where an entry without app_id may still name its app: the container labels the agent copies into fields.
APP_FIELDS = ("app_id", "permanu.app_id", "com.permanu.app_id")


def _app(entry: agent_pb2.LogEntry) -> str:
    if entry.app_id:
        return text(entry.app_id, 100)
    for key in APP_FIELDS:
        if entry.fields.get(key):
            return text(entry.fields[key], 100)
    return ""


def decode_agent_logs(*, msg_id: str, body: bytes, now: datetime) -> Batch:
    """One AgentLogsReceived as a batch of ``agent`` log lines (server-level when no app is known).

    Raises:
        Malformed: The payload is not an AgentLogsReceived of an org.
    """
    event = events_pb2.AgentLogsReceived()
    try:
        event.ParseFromString(body)
    except DecodeError as exc:
        raise Malformed("body is not an AgentLogsReceived") from exc
    if not event.org_id:
        raise Malformed("AgentLogsReceived without org_id")
    received_at = event.received_at.ToDatetime(tzinfo=now.tzinfo) if event.HasField("received_at") else now
    server = event.server_id or event.batch.server_id
    logs = [
        LogRow(
            position=i,
            ts=from_unix_nano(int(entry.timestamp_ns), received_at),
            level=normal_level(entry.level),
            severity_number=0,
            body=text(entry.message),
            attributes={
                **{text(k, 200): text(v, 2000) for k, v in list(entry.fields.items())[:128]},
                **({"deployment_id": entry.deployment_id} if entry.deployment_id else {}),
            },
            service_name=text(entry.source, 200),
            app_id=_app(entry),
            server_id=text(server, 100),
        )
        for i, entry in enumerate(event.batch.entries)
    ]
    return Batch(msg_id=msg_id, org_id=event.org_id, source=SOURCE_AGENT, logs=logs)
