"""Parsing SWITCHYARD_PRINCIPAL_KEY and the shared settings fields."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from switchyard.grpckit.config import env_field, key_bytes, opt_field, principal_key_from_env

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


class _Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    url: str = env_field("SVC_URL", "URL", "url")
    key: bytes = env_field("SVC_KEY", "key", secret=True)
    port: int = opt_field(5000, "SVC_PORT", "port", ge=1, le=65535)

    @field_validator("key", mode="before")
    @classmethod
    def _key(cls, value: Any) -> Any:
        return key_bytes(value)


def test_prefixed_names_win_and_secrets_stay_out_of_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URL", "bare")
    monkeypatch.setenv("SVC_URL", "prefixed")
    monkeypatch.setenv("SVC_KEY", "cd" * 32)
    settings = _Settings()
    assert (settings.url, settings.key, settings.port) == ("prefixed", bytes([0xCD]) * 32, 5000)
    assert "cd" * 8 not in repr(settings)
    assert "prefixed" in repr(settings)


def test_keyword_arguments_and_limits() -> None:
    assert _Settings(url="u", key=b"k" * 32, port=80).port == 80
    with pytest.raises(ValidationError, match="port"):
        _Settings(url="u", key=b"k" * 32, port=0)
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        _Settings(url="u", key=b"short")
