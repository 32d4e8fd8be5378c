"""Wire conventions shared by every area: camelCase msgspec Structs, RFC 3339 / epoch-ms times, role names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from google.protobuf.json_format import MessageToDict
from google.protobuf.struct_pb2 import Struct
from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.identity.v1 import identity_pb2

NonEmptyStr = Annotated[str, msgspec.Meta(min_length=1)]
RoleName = Literal["owner", "admin", "user"]

ROLE_BY_NAME = {
    "owner": identity_pb2.ROLE_OWNER,
    "admin": identity_pb2.ROLE_ADMIN,
    "user": identity_pb2.ROLE_USER,
}
NAME_BY_ROLE: dict[int, str] = {int(value): name for name, value in ROLE_BY_NAME.items()}


class CamelStruct(msgspec.Struct, rename="camel", kw_only=True):
    """Base of every request and response body: snake_case in Python, camelCase on the wire."""


class MessageResponse(CamelStruct):
    """A confirmation sentence, e.g. ``{"message": "Member removed"}``."""

    message: str


class StatusResponse(CamelStruct):
    """A status word, e.g. ``{"status": "deleted"}``."""

    status: str


def rfc3339(ts: Timestamp) -> str:
    """``2025-01-15T10:00:00Z`` (UTC, second precision; milliseconds when present)."""
    moment = datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, tz=UTC)
    if ts.nanos:
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def rfc3339_or_none(message: object, field: str) -> str | None:
    """The field's time, or None when the optional timestamp is unset."""
    if not message.HasField(field):  # type: ignore[attr-defined]
        return None
    ts: Timestamp = getattr(message, field)
    return rfc3339(ts)


def role_name(role: int) -> str:
    """Lower-case role name of an ``identity.v1.Role``."""
    return NAME_BY_ROLE.get(int(role), "user")


def epoch_ms(ts: Timestamp) -> int:
    """Epoch milliseconds of a timestamp (where the reference says "ms")."""
    return ts.seconds * 1000 + ts.nanos // 1_000_000


def epoch_ms_or_none(message: object, field: str) -> int | None:
    """The field's epoch milliseconds, or None when the optional timestamp is unset."""
    if not message.HasField(field):  # type: ignore[attr-defined]
        return None
    ts: Timestamp = getattr(message, field)
    return epoch_ms(ts)


def _plain(value: Any) -> Any:
    # Struct keeps every number as a double; integral ones go back to ints so strict JSON readers (the
    # Go daemon decoding into int fields) accept them.
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def struct_to_json(struct: Struct) -> dict[str, Any]:
    """An opaque pass-through ``google.protobuf.Struct`` as a JSON object."""
    return {key: _plain(value) for key, value in MessageToDict(struct).items()}


def json_to_struct(value: dict[str, Any]) -> Struct:
    """A JSON object as a ``google.protobuf.Struct``."""
    struct = Struct()
    struct.update(value)
    return struct
