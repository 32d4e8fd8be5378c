"""Read models and input rules of env vars."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from switchyard.grpckit.errors import InvalidArgument

KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,255}$")
VALUE_MAX_BYTES = 64 * 1024
PER_ENVIRONMENT_MAX = 500
REASON_MAX = 500


@dataclass(frozen=True, slots=True)
class EnvVarView:
    """An env var's metadata: what every listing shows (never the value)."""

    key: str
    created_by: str
    updated_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EnvVarInput:
    """One variable to set."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class PutResult:
    """The environment's variables after a bulk set, and the keys a replace removed."""

    env_vars: tuple[EnvVarView, ...]
    removed_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CloneResult:
    """Keys copied to the target environment, and keys it kept because they existed already."""

    copied_keys: tuple[str, ...]
    skipped_keys: tuple[str, ...]


def key_of(key: str, field: str = "key") -> str:
    """A valid env var name."""
    if not key:
        raise InvalidArgument(f"{field} is required")
    if not KEY.match(key):
        raise InvalidArgument(f"{field} must match ^[A-Za-z_][A-Za-z0-9_]{{0,255}}$")
    return key


def value_of(value: str, field: str = "value") -> str:
    """A value of at most 64 KiB of UTF-8 (never echoed in the error)."""
    if len(value.encode()) > VALUE_MAX_BYTES:
        raise InvalidArgument(f"{field} must be at most 64 KiB")
    if "\x00" in value:
        raise InvalidArgument(f"{field} must not contain NUL characters")
    return value


def inputs_of(inputs: Sequence[EnvVarInput], *, replace: bool) -> dict[str, str]:
    """Validated inputs by key, in request order; a key given twice is refused."""
    if not inputs and not replace:
        raise InvalidArgument("vars must not be empty")
    if len(inputs) > PER_ENVIRONMENT_MAX:
        raise InvalidArgument(f"vars must hold at most {PER_ENVIRONMENT_MAX} variables")
    result: dict[str, str] = {}
    for index, item in enumerate(inputs):
        key = key_of(item.key, f"vars[{index}].key")
        if key in result:
            raise InvalidArgument(f"vars[{index}].key is given twice: {key}")
        result[key] = value_of(item.value, f"vars[{index}].value")
    return result


def reason_of(reason: str) -> str:
    """Why someone reveals a value: required, at most 500 characters."""
    text = reason.strip()
    if not text:
        raise InvalidArgument("reason is required")
    if len(text) > REASON_MAX:
        raise InvalidArgument(f"reason must be at most {REASON_MAX} characters")
    return text
