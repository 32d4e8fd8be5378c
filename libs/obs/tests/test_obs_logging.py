"""JSON log lines: service, trace ids, request id, redaction, stdlib routing."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from switchyard.obs import REDACTED, get_logger, request_id_var, setup_logging

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_lines_are_json_with_service_request_and_trace_ids(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("probe")
    parent = SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=False, trace_flags=TraceFlags(1))
    token = otel_context.attach(trace.set_span_in_context(NonRecordingSpan(parent)))
    request_token = request_id_var.set("req-7")
    try:
        get_logger("test").info("user created", user_id="u-1")
    finally:
        request_id_var.reset(request_token)
        otel_context.detach(token)
    (line,) = lines(capsys.readouterr().err)
    assert line["event"] == "user created"
    assert line["service"] == "probe"
    assert line["user_id"] == "u-1"
    assert line["request_id"] == "req-7"
    assert line["trace_id"] == format(0xABC, "032x")
    assert line["span_id"] == format(0xDEF, "016x")
    assert line["level"] == "info"


def test_ids_are_absent_when_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("probe")
    get_logger("test").info("boot")
    (line,) = lines(capsys.readouterr().err)
    assert "trace_id" not in line
    assert "request_id" not in line


def test_secrets_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("probe")
    get_logger("test").info(
        "login",
        password="hunter2",
        refresh_token="rt-secret",
        client_secret="cs",
        api_key="k",
        token_id="jti-1",
        cache_key="users:1",
        signing_key="sk-raw",
    )
    err = capsys.readouterr().err
    (line,) = lines(err)
    for key in ("password", "refresh_token", "client_secret", "api_key", "signing_key"):
        assert line[key] == REDACTED
    assert line["token_id"] == "jti-1"
    assert line["cache_key"] == "users:1"
    for secret in ("hunter2", "rt-secret"):
        assert secret not in err


def test_stdlib_loggers_and_exceptions_are_json_too(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("probe", level="WARNING")
    logging.getLogger("some.library").info("below the level")
    logging.getLogger("some.library").warning("disk %s", "full")
    try:
        password = "hunter2"  # a local that a pretty traceback would print
        raise ValueError("bad " + str(len(password)))
    except ValueError:
        get_logger("test").exception("failed")
    records = lines(capsys.readouterr().err)
    assert [r["event"] for r in records] == ["disk full", "failed"]
    assert records[0]["service"] == "probe"
    assert "ValueError: bad 7" in str(records[1]["exception"])
    assert "hunter2" not in json.dumps(records)
