"""Telemetry rules without I/O: severity levels, exception events, Python tracebacks, cursors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from switchyard.grpckit.errors import InvalidArgument
from switchyard.ingest.domain.telemetry.errors import canonical_of, python_frames
from switchyard.ingest.domain.telemetry.queries import decode_cursor, trace_id_of
from switchyard.ingest.domain.telemetry.records import SpanRow, level_of, normal_level, span_exceptions

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 2, tzinfo=UTC)
CHAINED = """Traceback (most recent call last):
  File "/srv/app/db.py", line 3, in connect
    raise OSError("refused")
OSError: refused

During handling of the above exception, another exception was raised:

Traceback (most recent call last):
  File "/usr/lib/python3.12/site-packages/flask/app.py", line 900, in dispatch
    return view()
  File "/srv/app/views.py", line 12, in checkout
    connect()
ValueError: no database
"""


def _span(events: list[dict[str, object]]) -> SpanRow:
    return SpanRow(
        trace_id="ab" * 16,
        span_id="cd" * 8,
        parent_span_id="",
        service_name="shop",
        name="GET /",
        kind=2,
        start_ns=1,
        end_ns=0,
        status_code=2,
        status_message="",
        attributes={},
        events=events,
        resource={"telemetry.sdk.language": "python", "service.version": "2.0"},
    )


def test_severity_numbers_map_to_levels_and_text_is_the_fallback() -> None:
    assert [level_of(n, "") for n in (1, 5, 9, 13, 17, 21, 24)] == [
        "trace",
        "debug",
        "info",
        "warn",
        "error",
        "fatal",
        "fatal",
    ]
    assert level_of(0, "WARNING") == "warn"
    assert level_of(0, "") == "info"
    assert normal_level("CRITICAL") == "fatal"


def test_exception_events_become_canonical_errors_with_the_last_traceback_frames() -> None:
    span = _span(
        [
            {"name": "log", "timeUnixNano": 5, "attributes": {}},
            {
                "name": "exception",
                "timeUnixNano": 1_700_000_000_000_000_000,
                "attributes": {
                    "exception.type": "ValueError",
                    "exception.message": "no database",
                    "exception.stacktrace": CHAINED,
                },
            },
        ]
    )
    assert span.duration_ns == 0
    (found,) = span_exceptions([span], NOW)
    assert (found.type, found.index, found.occurred_at.year) == ("ValueError", 1, 2023)
    error = canonical_of(found)
    frames = error.exceptions[0].frames
    assert [(f.function, f.in_app) for f in frames] == [("dispatch", False), ("checkout", True)]
    assert frames[1].context_line == "connect()"
    assert (error.title, error.culprit, error.platform, error.release) == (
        "ValueError: no database",
        "/srv/app/views.py in checkout",
        "python",
        "2.0",
    )
    assert error.event_id == found.event_id
    assert len(error.event_id) == 32
    again = canonical_of(span_exceptions([span], NOW)[0])
    assert (again.event_id, again.fingerprint) == (error.event_id, error.fingerprint)


def test_frames_of_text_that_is_not_a_python_traceback_are_empty() -> None:
    assert python_frames("java.lang.IllegalStateException: x\n\tat a.b.C.d(C.java:10)") == ()


def test_trace_ids_and_cursors_are_validated() -> None:
    assert trace_id_of(" " + "AB" * 16) == "ab" * 16
    with pytest.raises(InvalidArgument, match="traceId"):
        trace_id_of("abc")
    with pytest.raises(InvalidArgument, match="cursor"):
        decode_cursor("bm9wZQ")


def test_a_frame_without_source_has_no_context_line() -> None:
    (frame,) = python_frames(
        'Traceback (most recent call last):\n  File "<stdin>", line 1, in <module>\nKeyError: 1\n'
    )
    assert (frame.filename, frame.context_line, frame.in_app) == ("<stdin>", "", True)
