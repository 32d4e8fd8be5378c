"""One ingest message (the gateway's headers and the body it received) parsed into what gets stored."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime

from switchyard.ingest.domain.errors.canonical import canonical_error
from switchyard.ingest.domain.errors.store import Parsed
from switchyard.ingest.domain.sentry.envelope import Malformed, item_json, parse_envelope

# Headers the gateway sets on every ingest message.
ORG_HEADER = "Ingest-Org-Id"
PROJECT_HEADER = "Ingest-Project-Id"
KIND_HEADER = "Ingest-Kind"
RECEIVED_HEADER = "Ingest-Received-At"
# The event id the gateway answered with (it generated one when the event had none).
EVENT_ID_HEADER = "Ingest-Event-Id"
KIND_ENVELOPE = "envelope"
KIND_STORE = "store"
# Envelope items stored as error events; every other type is accepted and counted.
EVENT_ITEM = "event"


def _received_at(headers: Mapping[str, str], now: datetime) -> datetime:
    try:
        return datetime.fromisoformat(headers[RECEIVED_HEADER]).astimezone(UTC)
    except (KeyError, ValueError):
        return now


def _store_body(body: bytes) -> dict[str, object]:
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed("store body is not JSON") from exc
    if not isinstance(event, dict):
        raise Malformed("store body is not a JSON object")
    return event


def parse_message(*, msg_id: str, headers: Mapping[str, str], body: bytes, now: datetime) -> Parsed:
    """Parse one message.

    Raises:
        Malformed: The message can never be stored (the reason is the message).
    """
    org = headers.get(ORG_HEADER, "")
    try:
        project = int(headers.get(PROJECT_HEADER, ""))
    except ValueError as exc:
        raise Malformed(f"missing {PROJECT_HEADER} header") from exc
    if not org:
        raise Malformed(f"missing {ORG_HEADER} header")
    received_at = _received_at(headers, now)
    kind = headers.get(KIND_HEADER, KIND_ENVELOPE)
    if kind == KIND_STORE:
        event = _store_body(body)
        if not event.get("event_id"):
            event["event_id"] = headers.get(EVENT_ID_HEADER)
        error = canonical_error(event, received_at=received_at)
        return Parsed(msg_id=msg_id, org_id=org, project_id=project, errors=[error])
    if kind != KIND_ENVELOPE:
        raise Malformed(f"unknown {KIND_HEADER} {kind!r}")
    envelope = parse_envelope(body)
    errors = []
    counts: Counter[str] = Counter()
    for item in envelope.items:
        if item.type == EVENT_ITEM:
            event = item_json(item)
            event.setdefault("event_id", envelope.header.get("event_id"))
            errors.append(canonical_error(event, received_at=received_at))
        else:
            counts[item.type[:50]] += 1
    return Parsed(msg_id=msg_id, org_id=org, project_id=project, errors=errors, counts=dict(counts))
