"""PostHog capture payloads to event rows (pure: no I/O).

The gateway checked the request's shape before it published it; this parses it again in full, because the
stream is the contract and a message can be replayed long after the gateway that checked it changed.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# A fixed namespace: an event without a client uuid gets the same derived uuid on every redelivery.
_NAMESPACE = uuid.UUID("6f0f5d0e-4c8e-4f7e-9a51-2f3b1c5a7d10")
NAME_MAX = 200
DISTINCT_ID_MAX = 200


class Malformed(ValueError):
    """A payload that can never be stored (the consumer dead-letters it with this message)."""


@dataclass(frozen=True, slots=True)
class CapturedEvent:
    """One event ready to store."""

    uuid: str
    event: str
    distinct_id: str
    properties: dict[str, Any]
    ts: datetime


def _json(body: bytes) -> Any:
    try:
        # PostgreSQL's jsonb refuses NUL characters; an SDK may still send one inside a property.
        return json.loads(body.decode("utf-8").replace("\\u0000", ""))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Malformed(f"body is not JSON: {exc}") from exc


def events_of(payload: Any) -> list[Any]:
    """The raw events of a capture body: ``{batch: [...]}``, a bare list, or one event object."""
    if isinstance(payload, list):
        return payload
    if not isinstance(payload, dict):
        raise Malformed("body must be a JSON object or array")
    if "batch" in payload:
        batch = payload["batch"]
        if not isinstance(batch, list):
            raise Malformed("batch must be an array")
        return batch
    return [payload]


def _distinct_id(raw: dict[str, Any], properties: dict[str, Any]) -> str:
    value = raw.get("distinct_id", properties.get("distinct_id", properties.get("$distinct_id")))
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Malformed("distinct_id is required")
    text = str(value).strip()
    if not text or len(text) > DISTINCT_ID_MAX:
        raise Malformed(f"distinct_id must be 1..{DISTINCT_ID_MAX} characters")
    return text


def _timestamp(raw: dict[str, Any], received_at: datetime) -> datetime:
    value = raw.get("timestamp")
    if isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise Malformed(f"timestamp is not ISO 8601: {value[:40]}") from exc
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    offset = raw.get("offset")
    if isinstance(offset, (int, float)) and not isinstance(offset, bool) and offset >= 0:
        # posthog-js sends how many milliseconds ago the event happened instead of a timestamp.
        return received_at - timedelta(milliseconds=offset)
    return received_at


def _uuid(raw: dict[str, Any], msg_id: str, index: int) -> str:
    value = raw.get("uuid")
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    return str(uuid.uuid5(_NAMESPACE, f"{msg_id}:{index}"))


def parse_event(raw: Any, *, msg_id: str, index: int, received_at: datetime) -> CapturedEvent:
    """One raw event to a row; raises ``Malformed`` naming what is wrong."""
    if not isinstance(raw, dict):
        raise Malformed(f"event {index} is not an object")
    name = raw.get("event")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise Malformed(f"event {index}: event must be a name of 1..{NAME_MAX} characters")
    properties = raw.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise Malformed(f"event {index}: properties must be an object")
    return CapturedEvent(
        uuid=_uuid(raw, msg_id, index),
        event=name.strip(),
        distinct_id=_distinct_id(raw, properties),
        properties=properties,
        ts=_timestamp(raw, received_at),
    )


def parse_capture(body: bytes, *, msg_id: str, received_at: datetime) -> list[CapturedEvent]:
    """Every event of a capture body, in order."""
    raws = events_of(_json(body))
    return [parse_event(r, msg_id=msg_id, index=i, received_at=received_at) for i, r in enumerate(raws)]
