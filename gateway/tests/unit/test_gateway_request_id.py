"""Request id rules and the header stamping hook."""

from __future__ import annotations

from typing import Any

import pytest
from switchyard.gateway.request_id import make_before_send, request_id_of, sanitize_request_id

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("value", ["abc", "A-b_c.9", "x" * 128, "0f3c2b1a-uuid-like"])
def test_sane_ids_are_echoed(value: str) -> None:
    assert sanitize_request_id(value) == value


@pytest.mark.parametrize("value", [None, "", "x" * 129, "has space", "new\nline", "semi;colon", "ünïcode"])
def test_other_ids_are_replaced_by_a_fresh_one(value: str | None) -> None:
    fresh = sanitize_request_id(value)
    assert fresh != value
    assert sanitize_request_id(fresh) == fresh
    assert sanitize_request_id(value) != fresh  # every replacement is new


async def test_before_send_stamps_id_and_version_once() -> None:
    scope: Any = {"type": "http", "headers": [(b"x-request-id", b"req-1")]}
    message: Any = {
        "type": "http.response.start",
        "status": 404,
        "headers": [(b"content-type", b"application/json"), (b"x-request-id", b"spoofed")],
    }
    await make_before_send("1.00")(message, scope)
    assert message["headers"] == [
        (b"content-type", b"application/json"),
        (b"x-request-id", b"req-1"),
        (b"x-api-version", b"1.00"),
    ]
    assert request_id_of(scope) == "req-1"


async def test_body_messages_are_left_alone() -> None:
    message: Any = {"type": "http.response.body", "body": b"{}"}
    await make_before_send("1.00")(message, {"type": "http", "headers": []})
    assert message == {"type": "http.response.body", "body": b"{}"}
