"""Strict readers for the JSON command payloads (a parse error answers ``failed "invalid payload: …"``)."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any


class PayloadError(ValueError):
    """The payload is not the JSON object the command expects; the message names the field."""


def parse_object(payload: bytes, *, allowed: Collection[str] | None = None) -> dict[str, Any]:
    """Decode a JSON object payload; an empty payload is ``{}``.

    Args:
        payload: The command's payload bytes.
        allowed: When given, keys outside it are rejected (the real agent's ``deny_unknown_fields``).

    Returns:
        The decoded object.

    Raises:
        PayloadError: Not UTF-8 JSON, not an object, or an unknown key.
    """
    if not payload.strip():
        return {}
    try:
        value = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"malformed JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise PayloadError("payload must be a JSON object")
    if allowed is not None:
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise PayloadError(f"unknown field `{unknown[0]}`")
    return value


def get_str(obj: dict[str, Any], key: str, *, default: str = "", required: bool = False) -> str:
    """A trimmed string field.

    Raises:
        PayloadError: Wrong type, or empty while required.
    """
    value = obj.get(key)
    if value is None:
        value = default
    if not isinstance(value, str):
        raise PayloadError(f"{key} must be a string")
    value = value.strip()
    if required and not value:
        raise PayloadError(f"{key} is required")
    return value


def get_int(
    obj: dict[str, Any], key: str, *, default: int, low: int | None = None, high: int | None = None
) -> int:
    """An integer field within ``[low, high]``.

    Raises:
        PayloadError: Not an integer, or out of range.
    """
    value = obj.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"{key} must be an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        raise PayloadError(f"{key} must be between {low} and {high}")
    return value


def get_bool(obj: dict[str, Any], key: str, *, default: bool = False) -> bool:
    """A boolean field.

    Raises:
        PayloadError: Not a boolean.
    """
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise PayloadError(f"{key} must be a boolean")
    return value


def get_str_map(obj: dict[str, Any], key: str) -> dict[str, str]:
    """An object of string values (``env_vars``).

    Raises:
        PayloadError: Not an object of strings.
    """
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise PayloadError(f"{key} must be an object of strings")
    return dict(value)


def get_int_list(obj: dict[str, Any], key: str) -> list[int]:
    """A list of integers (``health_check_status_codes``).

    Raises:
        PayloadError: Not a list of integers.
    """
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise PayloadError(f"{key} must be a list of integers")
    return list(value)
