"""Pure rules of analytics capture parsing, metric pushes and retention periods."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from switchyard.grpckit.errors import InvalidArgument
from switchyard.ingest.domain.analytics.capture import Malformed, parse_capture
from switchyard.ingest.domain.analytics.queries import _period_start, _shift
from switchyard.ingest.domain.metrics.push import decode, encode, parse_push

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _parse(body: object) -> list:
    return parse_capture(json.dumps(body).encode(), msg_id="m1", received_at=NOW)


def test_capture_shapes_and_fallbacks() -> None:
    given = str(uuid.uuid4())
    single = _parse({"event": "a", "distinct_id": "u", "uuid": given, "timestamp": "2026-12-01T10:00:00Z"})
    assert [(e.uuid, e.ts) for e in single] == [(given, datetime(2026, 12, 1, 10, tzinfo=UTC))]
    batch = _parse({"batch": [{"event": "a", "properties": {"distinct_id": 5}, "offset": 1000}]})
    assert batch[0].distinct_id == "5"
    assert batch[0].ts == NOW - timedelta(seconds=1)
    # No uuid: derived from the message and the position, the same on every delivery.
    assert (
        _parse([{"event": "b", "distinct_id": "u"}])[0].uuid
        == _parse([{"event": "b", "distinct_id": "u"}])[0].uuid
    )
    assert _parse([{"event": "b", "distinct_id": "u"}])[0].ts == NOW


@pytest.mark.parametrize(
    "body",
    [
        [{"event": "", "distinct_id": "u"}],
        [{"event": "a"}],
        [{"event": "a", "distinct_id": "u", "properties": []}],
        {"batch": {}},
        "text",
        [{"event": "a", "distinct_id": "u", "timestamp": "noon"}],
    ],
)
def test_capture_refuses_what_it_can_never_store(body: object) -> None:
    with pytest.raises(Malformed):
        _parse(body)


def test_push_round_trips_and_names_bad_fields() -> None:
    points = parse_push(b'{"metrics": [{"name": "cpu", "value": 1, "labels": {"a": "b"}}]}', now=NOW)
    org, service, back = decode(encode(org_id="o", service="s", points=points))
    assert (org, service, back) == ("o", "s", points)
    assert points[0].instance == "default"
    with pytest.raises(InvalidArgument) as info:
        parse_push(b'{"metrics": [{"name": "cpu", "value": 1}, {"name": "cpu", "value": NaN}]}', now=NOW)
    assert info.value.fields == {"metrics[1].value": "must be a finite number"}


def test_period_starts_and_shifts() -> None:
    wednesday = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
    assert _period_start(wednesday, "day") == datetime(2026, 12, 2, tzinfo=UTC)
    assert _period_start(wednesday, "week") == datetime(2026, 11, 30, tzinfo=UTC)
    assert _period_start(wednesday, "month") == datetime(2026, 12, 1, tzinfo=UTC)
    assert _shift(datetime(2026, 11, 1, tzinfo=UTC), "month", 3) == datetime(2027, 2, 1, tzinfo=UTC)
    assert _shift(datetime(2026, 11, 1, tzinfo=UTC), "month", -11) == datetime(2025, 12, 1, tzinfo=UTC)
    assert _shift(datetime(2026, 11, 30, tzinfo=UTC), "week", 1) == datetime(2026, 12, 7, tzinfo=UTC)
