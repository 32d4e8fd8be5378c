"""Bodies of the error-tracking routes: DSNs, error groups and events, source maps, native ingest."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import msgspec
from switchyard.gateway.schema import CamelStruct, NonEmptyStr, rfc3339
from switchyard.ingest.v1 import ingest_pb2 as pb

GroupStatus = Literal["unresolved", "resolved", "ignored"]
STATUS_BY_NAME = {
    "unresolved": pb.ERROR_GROUP_STATUS_UNRESOLVED,
    "resolved": pb.ERROR_GROUP_STATUS_RESOLVED,
    "ignored": pb.ERROR_GROUP_STATUS_IGNORED,
}
NAME_BY_STATUS = {int(v): k for k, v in STATUS_BY_NAME.items()}


class DsnCreate(CamelStruct):
    """``POST /api/errors/dsns``."""

    name: NonEmptyStr
    app_id: str = ""


class Dsn(CamelStruct):
    """A DSN: ``dsn`` is the full Sentry DSN URL to give an SDK."""

    id: str
    name: str
    app_id: str
    public_key: str
    project_id: int
    dsn: str
    created_at: str


class DsnEnvelope(CamelStruct):
    """One DSN."""

    dsn: Dsn


class DsnList(CamelStruct):
    """The org's DSNs, oldest first."""

    dsns: list[Dsn]


class Deleted(CamelStruct):
    """A deletion."""

    deleted: bool


class IngestAccepted(msgspec.Struct):
    """What Sentry SDKs expect back: the event id."""

    id: str


class ErrorGroup(CamelStruct):
    """An error group."""

    id: str
    project_id: int
    fingerprint: str
    title: str
    culprit: str
    level: str
    platform: str
    status: str
    event_count: int
    first_seen: str
    last_seen: str


class Frame(CamelStruct):
    """A stack frame, outermost first."""

    filename: str
    function: str
    module: str
    lineno: int
    colno: int
    in_app: bool
    context_line: str


class ExceptionInfo(CamelStruct):
    """One exception of an event's chain (the last is the one raised)."""

    type: str
    value: str
    module: str
    frames: list[Frame]


class ErrorEvent(CamelStruct):
    """A stored error event."""

    event_id: str
    group_id: str
    project_id: int
    level: str
    message: str
    platform: str
    release: str
    environment: str
    exceptions: list[ExceptionInfo]
    tags: dict[str, Any]
    occurred_at: str
    received_at: str


class GroupEnvelope(CamelStruct):
    """One group (with its latest event on GET)."""

    group: ErrorGroup
    latest_event: ErrorEvent | None = None


class GroupList(CamelStruct):
    """Groups, most recently seen first."""

    groups: list[ErrorGroup]


class EventList(CamelStruct):
    """A group's events, newest first."""

    events: list[ErrorEvent]


class GroupUpdate(CamelStruct):
    """``PATCH /api/errors/groups/{groupId}``."""

    status: GroupStatus


class SourceMap(CamelStruct):
    """A source map (its content is never returned)."""

    id: str
    release: str
    file_name: str
    size_bytes: int
    sha256: str
    created_at: str


class SourceMapEnvelope(CamelStruct):
    """One source map."""

    source_map: SourceMap


class SourceMapList(CamelStruct):
    """Source maps, newest first."""

    source_maps: list[SourceMap]


class NativeFrame(CamelStruct):
    """A frame of a natively reported error."""

    function: str = ""
    filename: str = ""
    module: str = ""
    lineno: Annotated[int, msgspec.Meta(ge=0)] = 0
    colno: Annotated[int, msgspec.Meta(ge=0)] = 0
    in_app: bool = True


class NativeException(CamelStruct):
    """The exception of a natively reported error."""

    type: NonEmptyStr
    value: str = ""
    frames: list[NativeFrame] = []


class NativeError(CamelStruct):
    """``POST /api/errors/ingest``: one error; ``message`` or ``exception`` is required."""

    event_id: str = ""
    message: str = ""
    level: Literal["debug", "info", "warning", "error", "fatal"] = "error"
    exception: NativeException | None = None
    fingerprint: list[str] = []
    release: str = ""
    environment: str = ""
    platform: str = "other"
    tags: dict[str, str] = {}
    timestamp: str = ""


def dsn(message: pb.Dsn, url: str) -> Dsn:
    """A DSN body; ``url`` is the full Sentry DSN."""
    return Dsn(
        id=message.id,
        name=message.name,
        app_id=message.app_id,
        public_key=message.public_key,
        project_id=message.project_id,
        dsn=url,
        created_at=rfc3339(message.created_at),
    )


def group(message: pb.ErrorGroup) -> ErrorGroup:
    """An error group body."""
    return ErrorGroup(
        id=message.id,
        project_id=message.project_id,
        fingerprint=message.fingerprint,
        title=message.title,
        culprit=message.culprit,
        level=message.level,
        platform=message.platform,
        status=NAME_BY_STATUS.get(int(message.status), "unresolved"),
        event_count=message.event_count,
        first_seen=rfc3339(message.first_seen),
        last_seen=rfc3339(message.last_seen),
    )


def event(message: pb.ErrorEvent) -> ErrorEvent:
    """An error event body."""
    return ErrorEvent(
        event_id=message.event_id,
        group_id=message.group_id,
        project_id=message.project_id,
        level=message.level,
        message=message.message,
        platform=message.platform,
        release=message.release,
        environment=message.environment,
        exceptions=[
            ExceptionInfo(
                type=e.type,
                value=e.value,
                module=e.module,
                frames=[
                    Frame(
                        filename=f.filename,
                        function=f.function,
                        module=f.module,
                        lineno=f.lineno,
                        colno=f.colno,
                        in_app=f.in_app,
                        context_line=f.context_line,
                    )
                    for f in e.frames
                ],
            )
            for e in message.exceptions
        ],
        tags=json.loads(message.tags_json or "{}"),
        occurred_at=rfc3339(message.occurred_at),
        received_at=rfc3339(message.received_at),
    )


def source_map(message: pb.SourceMap) -> SourceMap:
    """A source map body."""
    return SourceMap(
        id=message.id,
        release=message.release,
        file_name=message.file_name,
        size_bytes=message.size_bytes,
        sha256=message.sha256,
        created_at=rfc3339(message.created_at),
    )


def sentry_event(native: NativeError) -> dict[str, Any]:
    """A natively reported error in the Sentry event shape the ingest service stores."""
    event: dict[str, Any] = {
        "level": native.level,
        "platform": native.platform,
        "release": native.release,
        "environment": native.environment,
        "tags": native.tags,
    }
    if native.message:
        event["message"] = native.message
    if native.fingerprint:
        event["fingerprint"] = native.fingerprint
    if native.timestamp:
        event["timestamp"] = native.timestamp
    if native.exception is not None:
        frames = [
            {
                "function": f.function,
                "filename": f.filename,
                "module": f.module,
                "lineno": f.lineno,
                "colno": f.colno,
                "in_app": f.in_app,
            }
            for f in native.exception.frames
        ]
        value = {
            "type": native.exception.type,
            "value": native.exception.value,
            "stacktrace": {"frames": frames},
        }
        event["exception"] = {"values": [value]}
    return event
