"""Bodies of ``/api/org/{orgId}/keys`` (Rensei shapes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.gateway.schema import CamelStruct, NonEmptyStr, rfc3339, rfc3339_or_none
from switchyard.identity.v1 import identity_service_pb2 as pb


class OrgKeyCreate(CamelStruct):
    """``POST /api/org/{orgId}/keys``: ``projects`` is ``"all"`` or a list of project ids."""

    name: NonEmptyStr
    projects: Literal["all"] | list[str]
    scopes: list[str] = []
    expires_at: datetime | None = None


class OrgKey(CamelStruct):
    """An rsk_live_ key's metadata; the raw key is never part of it."""

    id: str
    org_id: str
    name: str
    key_prefix: str
    scopes: list[str]
    project_ids: Literal["all"] | list[str]
    created_at: str
    expires_at: str | None


class OrgKeyWithSecret(OrgKey):
    """A new key with, only this once, the full raw key."""

    full_key: str


class OrgKeyList(CamelStruct):
    """``GET /api/org/{orgId}/keys``."""

    keys: list[OrgKey]


class OrgKeyCreated(CamelStruct):
    """``POST /api/org/{orgId}/keys``."""

    key: OrgKeyWithSecret


def create_request(org_id: str, body: OrgKeyCreate) -> pb.CreateOrgKeyRequest:
    """Map the body onto ``CreateOrgKeyRequest``."""
    request = pb.CreateOrgKeyRequest(
        org_id=org_id,
        name=body.name,
        all_projects=body.projects == "all",
        project_ids=[] if body.projects == "all" else list(body.projects),
        scopes=body.scopes,
    )
    if body.expires_at is not None:
        moment = body.expires_at if body.expires_at.tzinfo else body.expires_at.replace(tzinfo=UTC)
        stamp = Timestamp()
        stamp.FromDatetime(moment.astimezone(UTC))
        request.expires_at.CopyFrom(stamp)
    return request


def _fields(key: Any) -> dict[str, Any]:
    return {
        "id": key.id,
        "org_id": key.org_id,
        "name": key.name,
        "key_prefix": key.key_prefix,
        "scopes": list(key.scopes),
        "project_ids": "all" if key.all_projects else list(key.project_ids),
        "created_at": rfc3339(key.created_at),
        "expires_at": rfc3339_or_none(key, "expires_at"),
    }


def org_key_from_pb(key: Any) -> OrgKey:
    """Map an ``identity.v1.OrgKey``."""
    return OrgKey(**_fields(key))


def created_from_pb(response: pb.CreateOrgKeyResponse) -> OrgKeyCreated:
    """Map a ``CreateOrgKeyResponse``."""
    return OrgKeyCreated(key=OrgKeyWithSecret(**_fields(response.key), full_key=response.full_key))
