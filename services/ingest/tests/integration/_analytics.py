"""Helpers of the analytics and metrics integration tests: publishing captures as the gateway does."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.bus import publish


def event(name: str, who: str, at: datetime, **properties: Any) -> dict[str, Any]:
    """One PostHog event as the python client shapes it."""
    return {
        "event": name,
        "distinct_id": who,
        "uuid": str(uuid.uuid4()),
        "timestamp": at.isoformat(),
        "properties": properties,
    }


async def capture(server: Any, dsn: Any, body: dict[str, Any] | bytes) -> None:
    """Publish a capture body to ``ingest.raw.posthog`` with the headers the gateway's door sets."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {
        "Ingest-Org-Id": dsn.org_id,
        "Ingest-Dsn-Id": dsn.id,
        "Ingest-Received-At": datetime.now(UTC).isoformat(),
    }
    await publish(server.js, "ingest.raw.posthog", raw, msg_id=uuid.uuid4().hex, headers=headers)


def ts(moment: datetime) -> Timestamp:
    """A protobuf Timestamp."""
    value = Timestamp()
    value.FromDatetime(moment)
    return value
