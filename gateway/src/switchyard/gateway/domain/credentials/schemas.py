"""Bodies of ``/api/daemon/credentials`` (Rensei §2.6); times are RFC 3339, unset ones null. No value is
ever part of a response except the snapshot's ``env``."""

from __future__ import annotations

from switchyard.gateway.schema import CamelStruct, NonEmptyStr, rfc3339, rfc3339_or_none
from switchyard.workers.v1 import workers_pb2, workers_service_pb2


class CredentialCreate(CamelStruct):
    """``POST /api/daemon/credentials``: create or replace a credential."""

    org_id: NonEmptyStr
    name: NonEmptyStr
    value: NonEmptyStr
    kind: NonEmptyStr
    project_id: str = ""
    env_name: str = ""


class Credential(CamelStruct):
    """A credential's metadata."""

    id: str
    org_id: str
    project_id: str
    env_name: str
    name: str
    kind: str
    created_at: str
    updated_at: str
    rotated_at: str | None


class CredentialEnvelope(CamelStruct):
    """``POST /api/daemon/credentials`` answer."""

    credential: Credential


class CredentialList(CamelStruct):
    """``GET /api/daemon/credentials`` answer."""

    credentials: list[Credential]


class CredentialDeleted(CamelStruct):
    """``DELETE /api/daemon/credentials/{id}`` answer."""

    deleted: bool


class SnapshotRequest(CamelStruct):
    """``POST /api/daemon/credentials/snapshot``."""

    org_id: NonEmptyStr
    project_id: str = ""
    env_name: str = ""
    session_id: str = ""


class Snapshot(CamelStruct):
    """The environment for a daemon's agents and when to fetch a new one."""

    env: dict[str, str]
    refresh_until: str


class RotateRequest(CamelStruct):
    """``POST /api/daemon/credentials/rotate``."""

    org_id: NonEmptyStr
    kind: NonEmptyStr


class Rotated(CamelStruct):
    """``POST /api/daemon/credentials/rotate`` answer."""

    ok: bool
    kind: str
    session_count: int
    rotated_at: str


def credential_from_pb(credential: workers_pb2.Credential) -> Credential:
    """Map a ``workers.v1.Credential``."""
    return Credential(
        id=credential.id,
        org_id=credential.org_id,
        project_id=credential.project_id,
        env_name=credential.env_name,
        name=credential.name,
        kind=credential.kind,
        created_at=rfc3339(credential.created_at),
        updated_at=rfc3339(credential.updated_at),
        rotated_at=rfc3339_or_none(credential, "rotated_at"),
    )


def rotation_event(rotation: workers_pb2.CredentialRotation) -> dict[str, str]:
    """The JSON data of an SSE ``UPDATE`` event; ``sessionId`` only when the subscriber gave one."""
    data = {"orgId": rotation.org_id, "kind": rotation.kind, "rotatedAt": rfc3339(rotation.rotated_at)}
    if rotation.session_id:
        data["sessionId"] = rotation.session_id
    return data


def store_request(data: CredentialCreate) -> workers_service_pb2.StoreCredentialRequest:
    """The RPC request of a create body."""
    return workers_service_pb2.StoreCredentialRequest(
        org_id=data.org_id,
        name=data.name,
        value=data.value,
        kind=data.kind,
        project_id=data.project_id,
        env_name=data.env_name,
    )
