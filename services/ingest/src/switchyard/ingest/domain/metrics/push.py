"""Pushed service metrics: validation of a push body (pure) and its normalised stream form."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from switchyard.grpckit.errors import InvalidArgument

MAX_BATCH = 1000
MAX_LABELS = 20
NAME = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:.\-]{0,199}$")
SERVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,99}$")
INSTANCE_MAX = 200
LABEL_KEY_MAX, LABEL_VALUE_MAX = 100, 200
# A clock a little ahead is tolerated; a point further in the future is a client bug.
MAX_FUTURE = timedelta(minutes=10)
DEFAULT_INSTANCE = "default"


@dataclass(frozen=True, slots=True)
class Point:
    """One validated sample."""

    name: str
    value: float
    instance: str
    ts: datetime
    labels: dict[str, str]


def _bad(field: str, message: str) -> InvalidArgument:
    return InvalidArgument(f"{field} {message}", fields={field: message})


def service_id(value: str) -> str:
    """A service id: 1..100 of letters, digits and ``._:-``."""
    text = value.strip()
    if not SERVICE_ID.match(text):
        raise _bad("id", "must be 1..100 letters, digits or ._:-")
    return text


def _timestamp(value: Any, field: str, now: datetime) -> datetime:
    if value is None:
        return now
    if not isinstance(value, str):
        raise _bad(field, "must be an RFC 3339 string")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise _bad(field, "must be an RFC 3339 timestamp") from exc
    if moment.tzinfo is None:
        raise _bad(field, "must carry a time zone offset")
    if moment > now + MAX_FUTURE:
        raise _bad(field, "is in the future")
    return moment.astimezone(UTC)


def _labels(value: Any, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_LABELS:
        raise _bad(field, f"must be an object of at most {MAX_LABELS} string values")
    for key, item in value.items():
        if not isinstance(item, str) or not 1 <= len(key) <= LABEL_KEY_MAX or len(item) > LABEL_VALUE_MAX:
            raise _bad(
                field, f"keys must be 1..{LABEL_KEY_MAX} and values string of at most {LABEL_VALUE_MAX}"
            )
    return dict(value)


def _point(raw: Any, prefix: str, now: datetime) -> Point:
    if not isinstance(raw, dict):
        raise _bad(prefix or "body", "must be an object")
    name, value, instance = raw.get("name"), raw.get("value"), raw.get("instance")
    if not isinstance(name, str) or not NAME.match(name):
        raise _bad(f"{prefix}name", "must be 1..200 of letters, digits and _:.- (not starting with a digit)")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(f"{prefix}value", "must be a finite number")
    if instance is not None and (not isinstance(instance, str) or len(instance) > INSTANCE_MAX):
        raise _bad(f"{prefix}instance", f"must be a string of at most {INSTANCE_MAX} characters")
    return Point(
        name=name,
        value=float(value),
        instance=(instance or "").strip() or DEFAULT_INSTANCE,
        ts=_timestamp(raw.get("timestamp"), f"{prefix}timestamp", now),
        labels=_labels(raw.get("labels"), f"{prefix}labels"),
    )


def parse_push(body: bytes, *, now: datetime) -> list[Point]:
    """A push body (one metric, or ``{metrics: [...]}`` of 1..1000) to points; errors name the field."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad("body", "must be JSON") from exc
    if isinstance(payload, dict) and "metrics" in payload:
        batch = payload["metrics"]
        if not isinstance(batch, list) or not 1 <= len(batch) <= MAX_BATCH:
            raise _bad("metrics", f"must be an array of 1..{MAX_BATCH} metrics")
        return [_point(raw, f"metrics[{i}].", now) for i, raw in enumerate(batch)]
    return [_point(payload, "", now)]


def encode(*, org_id: str, service: str, points: list[Point]) -> bytes:
    """The stream form of a validated push."""
    return json.dumps(
        {
            "org_id": org_id,
            "service_id": service,
            "points": [
                {
                    "name": p.name,
                    "value": p.value,
                    "instance": p.instance,
                    "ts": p.ts.isoformat(),
                    "labels": p.labels,
                }
                for p in points
            ],
        }
    ).encode()


def decode(body: bytes) -> tuple[str, str, list[Point]]:
    """``encode``'s inverse: (org id, service id, points); raises ValueError on anything else."""
    payload = json.loads(body)
    points = [
        Point(
            name=str(p["name"]),
            value=float(p["value"]),
            instance=str(p["instance"]),
            ts=datetime.fromisoformat(p["ts"]),
            labels={str(k): str(v) for k, v in p["labels"].items()},
        )
        for p in payload["points"]
    ]
    return str(payload["org_id"]), str(payload["service_id"]), points
