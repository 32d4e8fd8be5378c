"""Streams and publishing: dedupe by Nats-Msg-Id, trace context headers, stream updates."""

from __future__ import annotations

import uuid
from typing import Any

import nats.js
import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from switchyard.bus import MSG_ID_HEADER, ensure_stream, publish

pytestmark = pytest.mark.integration


async def test_same_msg_id_is_stored_once(js: nats.js.JetStreamContext, stream: Any) -> None:
    first = await publish(js, stream.subject("thing.created"), b"one", msg_id="m-1")
    again = await publish(js, stream.subject("thing.created"), b"one", msg_id="m-1")
    other = await publish(js, stream.subject("thing.created"), b"two", msg_id="m-2")
    assert again == first
    assert other == first + 1
    info = await js.stream_info(stream.name)
    assert info.state.messages == 2


async def test_headers_carry_msg_id_given_headers_and_trace_context(
    js: nats.js.JetStreamContext, stream: Any
) -> None:
    trace_id = int(uuid.uuid4().hex, 16)
    parent = SpanContext(trace_id=trace_id, span_id=0x1234, is_remote=False, trace_flags=TraceFlags(1))
    token = otel_context.attach(trace.set_span_in_context(NonRecordingSpan(parent)))
    try:
        seq = await publish(js, stream.subject("thing.created"), b"x", msg_id="m-h", headers={"k": "v"})
    finally:
        otel_context.detach(token)
    stored = await js.get_msg(stream.name, seq)
    headers = stored.headers or {}
    assert headers[MSG_ID_HEADER] == "m-h"
    assert headers["k"] == "v"
    assert headers["traceparent"].split("-")[1] == format(trace_id, "032x")


async def test_stored_trace_context_wins_over_the_current_one(
    js: nats.js.JetStreamContext, stream: Any
) -> None:
    stored_parent = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"
    seq = await publish(js, stream.subject("x.y"), b"x", msg_id="m-t", headers={"traceparent": stored_parent})
    stored = await js.get_msg(stream.name, seq)
    assert (stored.headers or {})["traceparent"] == stored_parent


async def test_ensure_stream_creates_then_updates(js: nats.js.JetStreamContext) -> None:
    name = f"U{uuid.uuid4().hex[:10].upper()}"
    subject = f"u{name.lower()}.>"
    try:
        await ensure_stream(js, name=name, subjects=[subject])
        await ensure_stream(js, name=name, subjects=[subject])  # idempotent
        await ensure_stream(
            js, name=name, subjects=[subject], max_age_seconds=3600, duplicate_window_seconds=60
        )
        config = (await js.stream_info(name)).config
        assert config.max_age == 3600
        assert config.duplicate_window == 60
        assert config.subjects == [subject]
    finally:
        await js.delete_stream(name)
