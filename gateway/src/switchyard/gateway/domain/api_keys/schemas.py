"""Bodies of ``/api/admin/api-keys`` (LastSaaS shapes)."""

from __future__ import annotations

from typing import Any, Literal

from switchyard.gateway.schema import CamelStruct, NonEmptyStr, rfc3339, rfc3339_or_none
from switchyard.identity.v1 import identity_pb2

AUTHORITY_BY_NAME = {
    "admin": identity_pb2.API_KEY_AUTHORITY_ADMIN,
    "user": identity_pb2.API_KEY_AUTHORITY_USER,
}
NAME_BY_AUTHORITY = {value: name for name, value in AUTHORITY_BY_NAME.items()}


class ApiKeyCreate(CamelStruct):
    """``POST /api/admin/api-keys``."""

    name: NonEmptyStr
    authority: Literal["admin", "user"]


class ApiKey(CamelStruct):
    """An lsk_ key's metadata; the raw key is never part of it."""

    id: str
    name: str
    key_preview: str
    authority: str
    created_by: str
    created_at: str
    last_used_at: str | None
    is_active: bool


class ApiKeyList(CamelStruct):
    """``GET /api/admin/api-keys``."""

    api_keys: list[ApiKey]


class ApiKeyCreated(CamelStruct):
    """The new key and, only this once, its raw value."""

    api_key: ApiKey
    raw_key: str


def api_key_from_pb(key: Any) -> ApiKey:
    """Map an ``identity.v1.ApiKey``."""
    return ApiKey(
        id=key.id,
        name=key.name,
        key_preview=key.key_preview,
        authority=NAME_BY_AUTHORITY.get(key.authority, "user"),
        created_by=key.created_by,
        created_at=rfc3339(key.created_at),
        last_used_at=rfc3339_or_none(key, "last_used_at"),
        is_active=key.is_active,
    )
