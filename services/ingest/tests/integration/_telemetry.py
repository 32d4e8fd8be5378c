"""Helpers of the telemetry tests: OTLP export requests and agent log batches built as protobuf."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from agent.v1 import agent_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span
from switchyard.agents.v1 import events_pb2

AGENTS_SUBJECTS = ["agents.server.>", "agents.command.>", "agents.logs.>"]


def kv(key: str, value: Any) -> KeyValue:
    """An OTLP attribute."""
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def span(trace: bytes, name: str, *, parent: bytes = b"", events: list[Span.Event] | None = None) -> Span:
    """A finished span of ``trace`` with a fresh id."""
    start = time.time_ns()
    return Span(
        trace_id=trace,
        span_id=os.urandom(8),
        parent_span_id=parent,
        name=name,
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=start,
        end_time_unix_nano=start + 5_000_000,
        attributes=[kv("http.route", "/" + name)],
        events=events or [],
    )


def traces(service: str, spans: list[Span]) -> bytes:
    """An ExportTraceServiceRequest of one resource."""
    resource = Resource(attributes=[kv("service.name", service)])
    return ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=spans)])]
    ).SerializeToString()


def logs(service: str, lines: list[tuple[int, str]]) -> bytes:
    """An ExportLogsServiceRequest of (severity number, body) lines."""
    resource = Resource(attributes=[kv("service.name", service)])
    records = [
        LogRecord(time_unix_nano=time.time_ns(), severity_number=sev, body=AnyValue(string_value=body))  # type: ignore[arg-type]
        for sev, body in lines
    ]
    return ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(resource=resource, scope_logs=[ScopeLogs(log_records=records)])]
    ).SerializeToString()


def agent_batch(org: str, server: str, entries: list[agent_pb2.LogEntry]) -> bytes:
    """An AgentLogsReceived as the agents service publishes it."""
    event = events_pb2.AgentLogsReceived(
        org_id=org, server_id=server, batch=agent_pb2.LogBatch(server_id=server, entries=entries)
    )
    event.received_at.GetCurrentTime()
    return event.SerializeToString()


def headers(org: str, kind: str, *, app: str = "", project: int = 1) -> dict[str, str]:
    """The headers the gateway's OTLP door sets."""
    return {
        "Ingest-Org-Id": org,
        "Ingest-Project-Id": str(project),
        "Ingest-App-Id": app,
        "Ingest-Kind": kind,
        "Nats-Msg-Id": str(uuid.uuid4()),
    }


async def eventually(probe: Callable[[], Awaitable[Any]], within: float = 20.0) -> Any:
    """Poll ``probe`` until it returns something truthy (consumers are asynchronous)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)
