"""Pure command rules: types, payloads, final statuses, cursors, timeouts, output tail, clock skew."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from switchyard.agents.domain.commands import rules
from switchyard.agents.domain.common import tail
from switchyard.agents.domain.servers.service import _json, _skew_ms
from switchyard.grpckit.errors import InvalidArgument

pytestmark = pytest.mark.unit

KNOWN = {5: "COMMAND_TYPE_EXEC", 115: "COMMAND_TYPE_AGENT_PING"}


def test_command_type_must_be_known_and_not_zero() -> None:
    assert rules.command_type(5, KNOWN) == 5
    for value in (0, 6, -1):
        with pytest.raises(InvalidArgument, match="type"):
            rules.command_type(value, KNOWN)


def test_payload_is_a_json_object_and_empty_means_empty_object() -> None:
    assert rules.payload("") == {}
    assert rules.payload(' {"a": [1]} ') == {"a": [1]}
    for text in ("[]", "1", '"x"', "{", "null"):
        with pytest.raises(InvalidArgument, match="payload_json"):
            rules.payload(text)


def test_unknown_final_statuses_become_failed() -> None:
    assert [rules.final_status(s) for s in ("completed", "QUEUED", " cancelled ", "error")] == [
        "completed",
        "queued",
        "cancelled",
        "error",
    ]
    assert rules.final_status("exploded") == "failed"
    assert rules.final_status("") == "failed"


def test_cursor_round_trips_and_garbage_is_rejected() -> None:
    moment = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)
    assert rules.decode_cursor(rules.encode_cursor(moment, "abc")) == (moment, "abc")
    assert rules.decode_cursor("") is None
    for bad in ("%%%", "bm90LWEtY3Vyc29y", rules.encode_cursor(moment, "")):
        with pytest.raises(InvalidArgument, match="cursor is invalid"):
            rules.decode_cursor(bad)


def test_run_timeout_bounds() -> None:
    assert rules.run_timeout_seconds(0) == 10.0
    assert rules.run_timeout_seconds(1500) == 1.5
    for bad in (-1, 300_001):
        with pytest.raises(InvalidArgument, match="timeout_ms"):
            rules.run_timeout_seconds(bad)


def test_output_keeps_the_tail() -> None:
    assert tail("abcdef", 3) == "def"
    assert tail("ab", 3) == "ab"


def test_clock_skew_is_agent_time_minus_the_round_trip_midpoint() -> None:
    sent, received = 1_000_000_000, 1_010_000_000  # midpoint 1.005 s
    assert _skew_ms(1_005_000_000 + 250_000_000, sent, received) == 250
    assert _skew_ms(1_005_000_000 - 40_000_000, sent, received) == -40
    for missing in (None, "x", 0, True):
        assert _skew_ms(missing, sent, received) == 0
    assert _json('progress\n{"agent_time_nanos": 1}') == {"agent_time_nanos": 1}
    assert _json("not json") == {}
