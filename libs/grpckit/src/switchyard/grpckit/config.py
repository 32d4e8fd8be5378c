"""Parsing of the grpckit settings that come from the environment."""

from __future__ import annotations

import binascii

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


__all__ = ["MIN_KEY_BYTES", "principal_key_from_env"]
