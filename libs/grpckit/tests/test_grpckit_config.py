"""Parsing SWITCHYARD_PRINCIPAL_KEY."""

from __future__ import annotations

import pytest
from switchyard.grpckit.config import principal_key_from_env

pytestmark = pytest.mark.unit


def test_hex_of_32_bytes_is_decoded() -> None:
    assert principal_key_from_env("ab" * 32) == bytes([0xAB]) * 32


def test_long_text_is_used_as_utf8() -> None:
    text = "correct horse battery staple, and then some"
    assert principal_key_from_env(text) == text.encode()


def test_short_hex_that_is_long_text_is_used_as_text() -> None:
    # 40 hex characters are only 20 bytes decoded, but 40 bytes as text: long enough as text.
    assert principal_key_from_env("ab" * 20) == ("ab" * 20).encode()


@pytest.mark.parametrize("value", ["", "short", "ab" * 15])
def test_short_key_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        principal_key_from_env(value)
