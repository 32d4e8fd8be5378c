"""Wire conventions shared by every area: camelCase msgspec Structs, RFC 3339 UTC times, role names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
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
