"""Admin API keys (lsk_) and AuthenticateApiKey over real gRPC."""

from __future__ import annotations

import base64
import hashlib
import uuid

import grpc
import pytest
from sqlalchemy import text
from switchyard.grpckit.principal import Principal
from switchyard.identity.v1 import identity_pb2 as pb
from switchyard.identity.v1 import identity_service_pb2 as svc

pytestmark = pytest.mark.integration

ADMIN = pb.API_KEY_AUTHORITY_ADMIN
USER = pb.API_KEY_AUTHORITY_USER


def create(name: str = "CI/CD Pipeline", authority: int = ADMIN) -> svc.CreateApiKeyRequest:
    return svc.CreateApiKeyRequest(name=name, authority=authority)


def authenticate(raw: str) -> svc.AuthenticateApiKeyRequest:
    return svc.AuthenticateApiKeyRequest(raw_key=raw)


async def test_create_list_authenticate_delete(identity, root_admin, root_tenant_id, db) -> None:
    created = await identity.call("CreateApiKey", create(), root_admin)
    raw = created.raw_key
    assert raw.startswith("lsk_")
    assert len(raw) == 4 + 43
    assert created.api_key.key_preview == raw[-8:]
    assert created.api_key.authority == ADMIN
    assert created.api_key.created_by == root_admin.user_id
    assert created.api_key.is_active is True
    async with db.connect() as conn:
        stored = await conn.scalar(
            text("SELECT key_hash FROM identity.api_keys WHERE id = :i"), {"i": created.api_key.id}
        )
    assert stored == base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest()).rstrip(b"=").decode()

    listed = await identity.call("ListApiKeys", svc.ListApiKeysRequest(), root_admin)
    assert created.api_key.id in [k.id for k in listed.api_keys]

    key = await identity.call("AuthenticateApiKey", authenticate(raw), identity.service())
    assert key.kind == "admin_key"
    assert key.key_id == created.api_key.id
    assert key.user_id == root_admin.user_id
    assert key.tenant_id == root_tenant_id
    assert key.authority == ADMIN

    await identity.call("DeleteApiKey", svc.DeleteApiKeyRequest(key_id=created.api_key.id), root_admin)
    error = await identity.fails("AuthenticateApiKey", authenticate(raw), identity.service())
    assert (error.code(), error.details()) == (grpc.StatusCode.UNAUTHENTICATED, "invalid API key")
    listed = await identity.call("ListApiKeys", svc.ListApiKeysRequest(), root_admin)
    assert created.api_key.id not in [k.id for k in listed.api_keys]
    again = await identity.fails(
        "DeleteApiKey", svc.DeleteApiKeyRequest(key_id=created.api_key.id), root_admin
    )
    assert again.code() == grpc.StatusCode.NOT_FOUND


async def test_user_authority_keys_carry_no_tenant(identity, root_admin) -> None:
    created = await identity.call("CreateApiKey", create("user key", USER), root_admin)
    key = await identity.call("AuthenticateApiKey", authenticate(created.raw_key), identity.service())
    assert key.authority == USER
    assert key.tenant_id == ""
    assert key.user_id == root_admin.user_id


async def test_last_used_is_stamped(identity, root_admin, db) -> None:
    created = await identity.call("CreateApiKey", create(), root_admin)
    await identity.call("AuthenticateApiKey", authenticate(created.raw_key), identity.service())
    async with db.connect() as conn:
        used = await conn.scalar(
            text("SELECT last_used_at FROM identity.api_keys WHERE id = :i"), {"i": created.api_key.id}
        )
    assert used is not None


@pytest.mark.parametrize("raw", ["", "lsk_unknown", "rsk_live_" + "0" * 64, "Bearer xyz", "sk_live_abc"])
async def test_unknown_or_foreign_keys_are_unauthenticated(identity, raw) -> None:
    error = await identity.fails("AuthenticateApiKey", authenticate(raw), identity.service())
    assert (error.code(), error.details()) == (grpc.StatusCode.UNAUTHENTICATED, "invalid API key")


async def test_authenticate_needs_a_service(identity, root_admin) -> None:
    error = await identity.fails("AuthenticateApiKey", authenticate("lsk_x"), root_admin)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_admin_key_principals_may_manage_keys(identity, root_admin, root_tenant_id) -> None:
    created = await identity.call("CreateApiKey", create(), root_admin)
    as_key = Principal(
        kind="admin_key",
        user_id=root_admin.user_id,
        tenant_id=root_tenant_id,
        role="admin",
        is_root=True,
        token_id=created.api_key.id,
    )
    listed = await identity.call("ListApiKeys", svc.ListApiKeysRequest(), as_key)
    assert created.api_key.id in [k.id for k in listed.api_keys]


async def test_non_root_admins_are_refused(identity, root_tenant_id) -> None:
    account = await identity.register()
    own_tenant = identity.user(account, role="owner")
    error = await identity.fails("ListApiKeys", svc.ListApiKeysRequest(), own_tenant)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    # A forged-looking is_root claim is re-checked against the root tenant's memberships.
    claims_root = Principal(
        kind="user",
        user_id=account.user_id,
        tenant_id=root_tenant_id,
        role="owner",
        is_root=True,
        token_id="x",
    )
    error = await identity.fails("CreateApiKey", create(), claims_root)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (create(name=""), "name is required"),
        (create(name="n" * 101), "name must be at most 100 characters"),
        (create(authority=pb.API_KEY_AUTHORITY_UNSPECIFIED), "authority is required"),
    ],
)
async def test_create_validation(identity, root_admin, request_, message) -> None:
    error = await identity.fails("CreateApiKey", request_, root_admin)
    assert (error.code(), error.details()) == (grpc.StatusCode.INVALID_ARGUMENT, message)


async def test_delete_unknown_or_malformed_is_not_found(identity, root_admin) -> None:
    for key_id in (str(uuid.uuid4()), "not-a-uuid"):
        error = await identity.fails("DeleteApiKey", svc.DeleteApiKeyRequest(key_id=key_id), root_admin)
        assert error.code() == grpc.StatusCode.NOT_FOUND
