"""Org keys (rsk_live_) over real gRPC: who may manage them, scope rules, revocation and expiry."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import text
from switchyard.grpckit.principal import Principal
from switchyard.identity.v1 import identity_pb2 as pb
from switchyard.identity.v1 import identity_service_pb2 as svc

pytestmark = pytest.mark.integration

PROJECT_DEFAULTS = ["worker:register", "worker:poll", "worker:heartbeat", "worker:session"]


def ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def create(org_id: str, **fields) -> svc.CreateOrgKeyRequest:
    fields.setdefault("name", "fleet")
    return svc.CreateOrgKeyRequest(org_id=org_id, **fields)


def authenticate(raw: str) -> svc.AuthenticateApiKeyRequest:
    return svc.AuthenticateApiKeyRequest(raw_key=raw)


async def test_org_wide_key_lifecycle(identity, db) -> None:
    owner = await identity.register()
    me = identity.user(owner, role="owner")
    created = await identity.call("CreateOrgKey", create(owner.tenant_id, all_projects=True), me)
    raw = created.full_key
    assert raw.startswith("rsk_live_")
    assert len(raw) == 9 + 64
    int(raw[9:], 16)
    assert created.key.key_prefix == raw[:12]
    assert list(created.key.scopes) == ["*"]
    assert created.key.all_projects is True
    assert created.key.created_by == owner.user_id
    async with db.connect() as conn:
        stored = await conn.scalar(
            text("SELECT key_hash FROM identity.org_keys WHERE id = :i"), {"i": created.key.id}
        )
    assert stored == hashlib.sha256(raw.encode()).hexdigest()

    key = await identity.call("AuthenticateApiKey", authenticate(raw), identity.service())
    assert (key.kind, key.tenant_id, list(key.scopes), key.all_projects) == (
        "org_key",
        owner.tenant_id,
        ["*"],
        True,
    )
    listed = await identity.call("ListOrgKeys", svc.ListOrgKeysRequest(org_id=owner.tenant_id), me)
    assert [k.id for k in listed.keys] == [created.key.id]

    await identity.call(
        "RevokeOrgKey", svc.RevokeOrgKeyRequest(org_id=owner.tenant_id, key_id=created.key.id), me
    )
    error = await identity.fails("AuthenticateApiKey", authenticate(raw), identity.service())
    assert (error.code(), error.details()) == (grpc.StatusCode.UNAUTHENTICATED, "invalid API key")
    again = await identity.fails(
        "RevokeOrgKey", svc.RevokeOrgKeyRequest(org_id=owner.tenant_id, key_id=created.key.id), me
    )
    assert again.code() == grpc.StatusCode.NOT_FOUND


async def test_project_key_defaults_and_expiry(identity, db) -> None:
    owner = await identity.register()
    me = identity.user(owner)
    created = await identity.call(
        "CreateOrgKey",
        create(
            owner.tenant_id,
            project_ids=["proj-a", "proj-b"],
            expires_at=ts(datetime.now(UTC) + timedelta(days=1)),
        ),
        me,
    )
    assert list(created.key.scopes) == PROJECT_DEFAULTS
    assert list(created.key.project_ids) == ["proj-a", "proj-b"]
    key = await identity.call("AuthenticateApiKey", authenticate(created.full_key), identity.service())
    assert (key.all_projects, list(key.project_ids)) == (False, ["proj-a", "proj-b"])
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE identity.org_keys SET expires_at = now() - interval '1 second' WHERE id = :i"),
            {"i": created.key.id},
        )
    error = await identity.fails("AuthenticateApiKey", authenticate(created.full_key), identity.service())
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"all_projects": True, "project_ids": ["p"]},
            'projects must be "all" or a list of project ids, not both',
        ),
        ({}, "projects is required"),
        ({"project_ids": ["p"], "scopes": ["*"]}, "scopes may contain * only on org-wide keys"),
        (
            {"all_projects": True, "scopes": ["root:everything"]},
            "scopes contains an unknown scope: root:everything",
        ),
        ({"all_projects": True, "name": ""}, "name is required"),
        (
            {"all_projects": True, "expires_at": ts(datetime(2020, 1, 1, tzinfo=UTC))},
            "expiresAt must be in the future",
        ),
    ],
)
async def test_create_validation(identity, fields, message) -> None:
    owner = await identity.register()
    error = await identity.fails("CreateOrgKey", create(owner.tenant_id, **fields), identity.user(owner))
    assert (error.code(), error.details()) == (grpc.StatusCode.INVALID_ARGUMENT, message)


async def test_org_must_be_the_principals_tenant(identity) -> None:
    owner = await identity.register()
    other = await identity.register()
    for org_id in (other.tenant_id, str(uuid.uuid4()), "garbage"):
        error = await identity.fails("CreateOrgKey", create(org_id, all_projects=True), identity.user(owner))
        assert error.code() == grpc.StatusCode.NOT_FOUND
        error = await identity.fails(
            "ListOrgKeys", svc.ListOrgKeysRequest(org_id=org_id), identity.user(owner)
        )
        assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_plain_members_are_refused_but_write_scoped_keys_allowed(identity, smtp_sink) -> None:
    owner = await identity.register()
    email = identity.email("member")
    await identity.call(
        "InviteMember", svc.InviteMemberRequest(email=email, role=pb.ROLE_USER), identity.user(owner)
    )
    token = identity.token_from(await smtp_sink.wait_for(to=email, subject_contains="invited"))
    member = await identity.register(email=email, invitation=token)
    denied = await identity.fails(
        "CreateOrgKey",
        create(owner.tenant_id, all_projects=True),
        identity.user(member, tenant_id=owner.tenant_id),
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED

    as_key = Principal(kind="org_key", tenant_id=owner.tenant_id, scopes=("org_keys:write",), token_id="k1")
    created = await identity.call("CreateOrgKey", create(owner.tenant_id, project_ids=["p1"]), as_key)
    assert created.key.created_by == "key:k1"
    weak = Principal(kind="org_key", tenant_id=owner.tenant_id, scopes=("worker:poll",), token_id="k2")
    error = await identity.fails("ListOrgKeys", svc.ListOrgKeysRequest(org_id=owner.tenant_id), weak)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
