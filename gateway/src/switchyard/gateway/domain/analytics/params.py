"""Query and body values the analytics routes parse themselves, so every 400 names its parameter."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.gateway.errors import GatewayError


def bad(field: str, message: str) -> GatewayError:
    """A 400 naming ``field``."""
    return GatewayError(400, f"{field} {message}", fields={field: message})


def timestamp(value: str | None, field: str) -> Timestamp | None:
    """An RFC 3339 time with an offset (``Z`` allowed) as a protobuf Timestamp; None when absent."""
    if value is None or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise bad(field, "must be an RFC 3339 timestamp") from exc
    if moment.tzinfo is None:
        raise bad(field, "must carry a time zone offset")
    ts = Timestamp()
    ts.FromDatetime(moment)
    return ts


def integer(value: str | None, field: str) -> int:
    """An integer query value; 0 when absent (the service applies the default and the range)."""
    if value is None or not value.strip():
        return 0
    try:
        return int(value.strip())
    except ValueError as exc:
        raise bad(field, "must be an integer") from exc


def bounded(value: str | None, field: str, *, low: int, high: int) -> int:
    """An optional integer query value in ``low..high``; 0 (the service's default) when absent."""
    number = integer(value, field)
    if value is not None and value.strip() and not low <= number <= high:
        raise bad(field, f"must be {low}..{high}")
    return number


def window(request: object, start: str | None, end: str | None) -> None:
    """Set the optional ``from`` / ``to`` of ``request`` from their RFC 3339 texts."""
    for field, text in (("from", start), ("to", end)):
        ts = timestamp(text, field)
        if ts is not None:
            getattr(request, field).CopyFrom(ts)
