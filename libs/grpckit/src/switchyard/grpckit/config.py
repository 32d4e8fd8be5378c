"""Parsing of the settings every service reads from its environment (one copy for all of them)."""

from __future__ import annotations

import binascii
from typing import Any

from pydantic import AliasChoices, Field

MIN_KEY_BYTES = 32


def principal_key_from_env(value: str) -> bytes:
    """Turn ``SWITCHYARD_PRINCIPAL_KEY`` into the HMAC key shared by the gateway and services.

    Args:
        value: Hex text of at least 32 bytes, or any text of at least 32 UTF-8 bytes.

    Returns:
        The decoded hex bytes when ``value`` is hex of >= 32 bytes, else its UTF-8 bytes.

    Raises:
        ValueError: The key is shorter than 32 bytes (a weak key would let anyone forge principals).
    """
    text = value.strip()
    try:
        decoded = bytes.fromhex(text)
    except (ValueError, binascii.Error):
        decoded = b""
    if len(decoded) >= MIN_KEY_BYTES:
        return decoded
    raw = text.encode("utf-8")
    if len(raw) < MIN_KEY_BYTES:
        raise ValueError(f"SWITCHYARD_PRINCIPAL_KEY must be at least {MIN_KEY_BYTES} bytes")
    return raw


def env_field(*names: str, secret: bool = False) -> Any:
    """A required setting read from the first of ``names`` present.

    List prefixed names first (``DEPLOY_DATABASE_URL`` wins over ``DATABASE_URL``) and the field name last, so
    tests can pass keyword arguments. ``secret`` keeps the value out of the settings' repr.
    """
    return Field(validation_alias=AliasChoices(*names), repr=not secret)


def opt_field(default: Any, *names: str, **limits: Any) -> Any:
    """An optional setting with ``default``; ``limits`` are pydantic constraints (``gt``, ``le``...)."""
    return Field(default, validation_alias=AliasChoices(*names), **limits)


def key_bytes(value: Any) -> Any:
    """A ``mode="before"`` validator body for key settings: env text (hex or raw) or bytes, >= 32 bytes."""
    if isinstance(value, str):
        return principal_key_from_env(value)
    if isinstance(value, bytes) and len(value) < MIN_KEY_BYTES:
        raise ValueError(f"keys must be at least {MIN_KEY_BYTES} bytes")
    return value


__all__ = ["MIN_KEY_BYTES", "env_field", "key_bytes", "opt_field", "principal_key_from_env"]
