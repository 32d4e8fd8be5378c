"""What the telemetry consumers store, as plain values (no protobuf), and the rules that shape them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SOURCE_OTLP = "otlp"
SOURCE_AGENT = "agent"
LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")
UNKNOWN_SERVICE = "unknown_service"
TEXT_MAX = 32_000
NAME_MAX = 500
EXCEPTION_EVENT = "exception"
_LEVEL_ALIASES = {
    "warning": "warn",
    "err": "error",
    "critical": "fatal",
    "crit": "fatal",
    "emerg": "fatal",
    "alert": "fatal",
    "panic": "fatal",
    "notice": "info",
    "information": "info",
    "dbg": "debug",
    "trc": "trace",
}


@dataclass(frozen=True, slots=True)
class SpanRow:
    """One span as stored (ids in lowercase hex)."""

    trace_id: str
    span_id: str
    parent_span_id: str
    service_name: str
    name: str
    kind: int
    start_ns: int
    end_ns: int
    status_code: int
    status_message: str
    attributes: dict[str, Any]
    events: list[dict[str, Any]]
    resource: dict[str, Any]

    @property
    def duration_ns(self) -> int:
        """End minus start, never negative (clock skew between SDK threads happens)."""
        return max(0, self.end_ns - self.start_ns)


@dataclass(frozen=True, slots=True)
class LogRow:
    """One log line as stored. ``position`` is its place in the message (the idempotency key's half)."""

    position: int
    ts: datetime
    level: str
    severity_number: int
    body: str
    attributes: dict[str, Any] = field(default_factory=dict)
    trace_id: str = ""
    span_id: str = ""
    service_name: str = ""
    app_id: str = ""
    server_id: str = ""
    # Set when the line has an identity of its own (an exception event: its span and place in it), so a
    # resent export stores it once; else the message id and position identify it.
    key: str = ""


@dataclass(frozen=True, slots=True)
class SpanException:
    """An exception recorded on a span (an event named ``exception``), ready to become an error event.

    The lead wires it into the canonical error form of the Sentry side; ``stacktrace`` is the SDK's text.
    """

    trace_id: str
    span_id: str
    service_name: str
    type: str
    message: str
    stacktrace: str
    occurred_at: datetime
    escaped: bool
    # The event's place among the span's events: (trace_id, span_id, index) identifies it.
    index: int = 0
    # The span's resource attributes (service.version, deployment.environment, telemetry.sdk.language).
    resource: dict[str, Any] = field(default_factory=dict)

    @property
    def event_id(self) -> str:
        """A stable 32-hex id of this exception event (the error event id an SDK resend reproduces)."""
        return hashlib.sha256(f"{self.trace_id}:{self.span_id}:{self.index}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Batch:
    """What one telemetry message carries once decoded."""

    msg_id: str
    org_id: str
    source: str
    project_id: int = 0
    app_id: str = ""
    spans: list[SpanRow] = field(default_factory=list)
    logs: list[LogRow] = field(default_factory=list)
    # Exception span events, stored as error events of the DSN's project.
    exceptions: list[SpanException] = field(default_factory=list)


def text(value: object, limit: int = TEXT_MAX) -> str:
    """``value`` as text, cut to ``limit`` characters (NUL bytes dropped: PostgreSQL text refuses them)."""
    result = value if isinstance(value, str) else ("" if value is None else str(value))
    return result.replace("\x00", "")[:limit]


def from_unix_nano(nanos: int, fallback: datetime) -> datetime:
    """A UTC datetime of ``nanos`` (microsecond precision); ``fallback`` when 0 or out of range."""
    if nanos <= 0:
        return fallback
    try:
        return datetime.fromtimestamp(nanos / 1e9, UTC)
    except (OverflowError, OSError, ValueError):
        return fallback


def level_of(severity_number: int, severity_text: str) -> str:
    """The level of an OTLP severity (number ranges of the logs data model), else of its text."""
    if 1 <= severity_number <= 24:
        return LEVELS[(severity_number - 1) // 4]
    return normal_level(severity_text)


def normal_level(value: str) -> str:
    """A level name in our vocabulary; unknown or empty text is ``info``."""
    name = value.strip().lower()
    name = _LEVEL_ALIASES.get(name, name)
    return name if name in LEVELS else "info"


def dedupe_key(msg_id: str, row: LogRow) -> str:
    """The idempotency key of a log line: its own key, else its message id and position."""
    return row.key or hashlib.sha256(f"{msg_id}:{row.position}".encode()).hexdigest()


def span_exceptions(spans: list[SpanRow], received_at: datetime) -> list[SpanException]:
    """Every exception event of ``spans`` (semantic conventions: ``exception.type/message/stacktrace``)."""
    found: list[SpanException] = []
    for span in spans:
        for index, event in enumerate(span.events):
            if event.get("name") != EXCEPTION_EVENT:
                continue
            attrs = event.get("attributes") or {}
            found.append(
                SpanException(
                    trace_id=span.trace_id,
                    span_id=span.span_id,
                    service_name=span.service_name,
                    type=text(attrs.get("exception.type"), 200) or "Error",
                    message=text(attrs.get("exception.message"), 2000),
                    stacktrace=text(attrs.get("exception.stacktrace")),
                    occurred_at=from_unix_nano(int(event.get("timeUnixNano") or 0), received_at),
                    escaped=attrs.get("exception.escaped") is True,
                    index=index,
                    resource=span.resource,
                )
            )
    return found
