"""Envelope framing, canonical errors and fingerprints (no I/O)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from switchyard.ingest.domain.errors.canonical import canonical_error
from switchyard.ingest.domain.sentry.envelope import Malformed, parse_envelope
from switchyard.ingest.domain.sentry.messages import parse_message

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _event(*functions: str, in_app: bool = True, **extra: object) -> dict[str, object]:
    frames = [
        {"module": "shop", "function": f, "lineno": n, "in_app": in_app} for n, f in enumerate(functions)
    ]
    values = [{"type": "ValueError", "value": "order 7 failed", "stacktrace": {"frames": frames}}]
    return {"exception": {"values": values}, **extra}


def test_items_with_and_without_length_and_a_trailing_newline_parse() -> None:
    body = (
        b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"attachment","length":3}\na\nb\n'
        b'{"type":"session"}\n{"x":1}\n'
    )

    envelope = parse_envelope(body)

    assert envelope.header["event_id"] == "9ec79c33ec9942ab8353589fcb2e04dc"
    assert [(i.type, i.payload) for i in envelope.items] == [("attachment", b"a\nb"), ("session", b'{"x":1}')]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"nope", "envelope header is not JSON"),
        (b"[]", "envelope header is not a JSON object"),
        (b'{}\n{"length":1}\nx', "item 0 header has no type"),
        (b'{}\n{"type":"event","length":9}\nx', "item 0 is shorter than its length"),
        (b'{}\n{"type":"event","length":1}\nxy', "item 0 payload is not followed by a newline"),
    ],
)
def test_broken_framing_is_malformed_with_the_reason(body: bytes, reason: str) -> None:
    with pytest.raises(Malformed, match=reason):
        parse_envelope(body)


def test_line_numbers_and_values_do_not_split_a_group_but_functions_do() -> None:
    one = canonical_error(_event("main", "charge"), received_at=NOW)
    moved = canonical_error(_event("main", "charge", value="x"), received_at=NOW)
    other = canonical_error(_event("main", "refund"), received_at=NOW)

    assert one.fingerprint == moved.fingerprint != other.fingerprint
    assert (one.title, one.culprit, one.level) == ("ValueError: order 7 failed", "shop in charge", "error")


def test_the_sdk_fingerprint_wins_and_default_expands() -> None:
    custom = canonical_error(_event("main", fingerprint=["billing"]), received_at=NOW)
    same = canonical_error(_event("other", fingerprint=["billing"]), received_at=NOW)
    extended = canonical_error(_event("main", fingerprint=["{{ default }}", "eu"]), received_at=NOW)

    assert custom.fingerprint == same.fingerprint
    assert extended.fingerprint not in (
        custom.fingerprint,
        canonical_error(_event("main"), received_at=NOW).fingerprint,
    )


def test_message_events_group_by_template_and_bad_event_ids_are_malformed() -> None:
    first = canonical_error(
        {"logentry": {"message": "user %s left", "formatted": "user 1 left"}}, received_at=NOW
    )
    second = canonical_error(
        {"logentry": {"message": "user %s left", "formatted": "user 2 left"}}, received_at=NOW
    )

    assert first.fingerprint == second.fingerprint
    assert first.message == "user 1 left"
    with pytest.raises(Malformed, match="event_id"):
        canonical_error({"event_id": "nope"}, received_at=NOW)


def test_a_message_counts_non_event_items_and_needs_the_gateway_headers() -> None:
    body = b"\n".join(
        [b"{}", b'{"type":"event"}', json.dumps(_event("main")).encode(), b'{"type":"client_report"}', b"{}"]
    )
    headers = {"Ingest-Org-Id": "org", "Ingest-Project-Id": "3"}

    parsed = parse_message(msg_id="m", headers=headers, body=body, now=NOW)

    assert (len(parsed.errors), parsed.counts, parsed.project_id) == (1, {"client_report": 1}, 3)
    with pytest.raises(Malformed, match="Ingest-Project-Id"):
        parse_message(msg_id="m", headers={"Ingest-Org-Id": "org"}, body=body, now=NOW)
