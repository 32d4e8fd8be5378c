"""Domain views to protobuf messages."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.ingest.domain.dsns.service import DsnView
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
