"""Pure rules for commands: type and payload validation, page sizes, cursors, timeouts."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from switchyard.agents.domain.common import ALL_STATUSES, FAILED, FINAL_STATUSES
from switchyard.grpckit.errors import InvalidArgument

PAYLOAD_MAX_BYTES = 1024 * 1024
LIST_DEFAULT = 50
LIST_MAX = 500
RUN_TIMEOUT_DEFAULT_MS = 10_000
RUN_TIMEOUT_MAX_MS = 300_000
COMMAND_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def command_type(value: int, known: Mapping[int, str]) -> int:
    """A known, non-zero agent.v1.CommandType number."""
    if value == 0:
        raise InvalidArgument("type is required (an agent.v1 CommandType, not COMMAND_TYPE_UNSPECIFIED)")
    if value not in known:
        raise InvalidArgument(f"type {value} is not a known agent.v1 CommandType")
    return value


def payload(text: str, field: str = "payload_json") -> dict[str, Any]:
    """The JSON object of ``payload_json`` ("" means {})."""
    if not text.strip():
        return {}
    if len(text.encode()) > PAYLOAD_MAX_BYTES:
        raise InvalidArgument(f"{field} must be at most {PAYLOAD_MAX_BYTES} bytes")
    try:
        value = json.loads(text)
    except ValueError as exc:
        # Never echo the text: the secret payload's must not reach an error message.
        raise InvalidArgument(f"{field} must be valid JSON") from exc
    if not isinstance(value, dict):
        raise InvalidArgument(f"{field} must be a JSON object")
    return value


def caller_command_id(value: str) -> str:
    """A caller-chosen command id ("" = none): 1..128 of [A-Za-z0-9._:-], starting alphanumeric."""
    text = value.strip()
    if text and not COMMAND_ID.match(text):
        raise InvalidArgument("command_id must be 1..128 characters of [A-Za-z0-9._:-]")
    return text


def server_id(value: str) -> str:
    """A non-empty server id."""
    if not value.strip():
        raise InvalidArgument("server_id is required")
    return value.strip()


def list_limit(limit: int) -> int:
    """0 means the default; otherwise 1..500."""
    if limit == 0:
        return LIST_DEFAULT
    if not 1 <= limit <= LIST_MAX:
        raise InvalidArgument(f"limit must be between 1 and {LIST_MAX}")
    return limit


def statuses(values: Sequence[str]) -> list[str]:
    """The status filter; every value must be a known status."""
    chosen = [v.strip() for v in values if v.strip()]
    for value in chosen:
        if value not in ALL_STATUSES:
            raise InvalidArgument(f"status must be one of: {', '.join(ALL_STATUSES)}")
    return chosen


def run_timeout_seconds(timeout_ms: int) -> float:
    """0 means 10 s; otherwise 1..300000 ms."""
    if timeout_ms == 0:
        return RUN_TIMEOUT_DEFAULT_MS / 1000
    if not 1 <= timeout_ms <= RUN_TIMEOUT_MAX_MS:
        raise InvalidArgument(f"timeout_ms must be between 1 and {RUN_TIMEOUT_MAX_MS}")
    return timeout_ms / 1000


def final_status(reported: str) -> str:
    """The stored final state of an agent's final frame: one of the known ones, else failed."""
    value = reported.strip().lower()
    return value if value in FINAL_STATUSES else FAILED


def encode_cursor(created_at: datetime, command_id: str) -> str:
    """The keyset cursor after this row."""
    raw = f"{created_at.isoformat()}|{command_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str] | None:
    """The keyset position of a cursor ("" = the first page)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, command_id = raw.partition("|")
        moment = datetime.fromisoformat(stamp)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidArgument("cursor is invalid") from exc
    if not command_id or moment.tzinfo is None:
        raise InvalidArgument("cursor is invalid")
    return moment, command_id
