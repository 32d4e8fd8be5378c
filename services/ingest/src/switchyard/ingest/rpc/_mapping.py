"""Domain views to protobuf messages."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.ingest.domain.dsns.service import DsnView
from switchyard.ingest.domain.errors.groups import EventView, GroupView
from switchyard.ingest.domain.sourcemaps.service import SourceMapView
from switchyard.ingest.v1 import ingest_pb2 as pb


def ts(moment: datetime) -> Timestamp:
    """A protobuf Timestamp of ``moment``."""
    value = Timestamp()
    value.FromDatetime(moment)
    return value


def dsn(view: DsnView) -> pb.Dsn:
    """A DSN message."""
    return pb.Dsn(
        id=view.id,
        org_id=view.org_id,
        name=view.name,
        app_id=view.app_id,
        public_key=view.public_key,
        project_id=view.project_id,
        created_at=ts(view.created_at),
    )


STATUS_TO_PB = {
    "unresolved": pb.ERROR_GROUP_STATUS_UNRESOLVED,
    "resolved": pb.ERROR_GROUP_STATUS_RESOLVED,
    "ignored": pb.ERROR_GROUP_STATUS_IGNORED,
}
STATUS_FROM_PB = {v: k for k, v in STATUS_TO_PB.items()}


def group(view: GroupView) -> pb.ErrorGroup:
    """An error group message."""
    return pb.ErrorGroup(
        id=view.id,
        org_id=view.org_id,
        project_id=view.project_id,
        fingerprint=view.fingerprint,
        title=view.title,
        culprit=view.culprit,
        level=view.level,
        platform=view.platform,
        status=STATUS_TO_PB.get(view.status, pb.ERROR_GROUP_STATUS_UNSPECIFIED),
        event_count=view.event_count,
        first_seen=ts(view.first_seen),
        last_seen=ts(view.last_seen),
    )


def _frame(frame: dict[str, Any]) -> pb.StackFrame:
    return pb.StackFrame(
        filename=str(frame.get("filename", "")),
        function=str(frame.get("function", "")),
        module=str(frame.get("module", "")),
        lineno=int(frame.get("lineno") or 0),
        colno=int(frame.get("colno") or 0),
        in_app=bool(frame.get("in_app")),
        context_line=str(frame.get("context_line", "")),
    )


def event(view: EventView) -> pb.ErrorEvent:
    """An error event message."""
    return pb.ErrorEvent(
        event_id=view.event_id,
        group_id=view.group_id,
        project_id=view.project_id,
        level=view.level,
        message=view.message,
        platform=view.platform,
        release=view.release,
        environment=view.environment,
        exceptions=[
            pb.ErrorException(
                type=str(e.get("type", "")),
                value=str(e.get("value", "")),
                module=str(e.get("module", "")),
                frames=[_frame(f) for f in e.get("frames", [])],
            )
            for e in view.exceptions
        ],
        tags_json=json.dumps(view.tags, separators=(",", ":")),
        occurred_at=ts(view.occurred_at),
        received_at=ts(view.received_at),
    )


def source_map(view: SourceMapView) -> pb.SourceMap:
    """A source map message (no content)."""
    return pb.SourceMap(
        id=view.id,
        org_id=view.org_id,
        release=view.release,
        file_name=view.file_name,
        size_bytes=view.size_bytes,
        sha256=view.sha256,
        created_at=ts(view.created_at),
    )
