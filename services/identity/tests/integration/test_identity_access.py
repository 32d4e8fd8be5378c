"""ResolveTenantAccess over real gRPC: the gateway's view of a user's standing in a tenant."""

from __future__ import annotations

import uuid

import grpc
import pytest
from sqlalchemy import text
from switchyard.identity.v1 import identity_pb2 as pb
from switchyard.identity.v1 import identity_service_pb2 as svc

pytestmark = pytest.mark.integration


def resolve(user_id: str, tenant_id: str) -> svc.ResolveTenantAccessRequest:
    return svc.ResolveTenantAccessRequest(user_id=user_id, tenant_id=tenant_id)


async def test_member_gets_role_and_flags(identity) -> None:
    account = await identity.register()
    access = await identity.call(
        "ResolveTenantAccess", resolve(account.user_id, account.tenant_id), identity.service()
    )
    assert access.role == pb.ROLE_OWNER
    assert access.is_root is False
    assert access.tenant_active is True
    assert access.tenant_id == account.tenant_id


async def test_root_alias_resolves_the_root_tenant(identity, root_tenant_id, root_owner_id) -> None:
    access = await identity.call("ResolveTenantAccess", resolve(root_owner_id, "root"), identity.service())
    assert access.tenant_id == root_tenant_id
    assert access.is_root is True
    assert access.role == pb.ROLE_OWNER
    outsider = await identity.register()
    error = await identity.fails("ResolveTenantAccess", resolve(outsider.user_id, "root"), identity.service())
    assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, "tenant not found")


@pytest.mark.parametrize("tenant", ["other", "missing", "malformed", "empty"])
async def test_non_members_and_bad_ids_are_not_found(identity, tenant) -> None:
    account = await identity.register()
    other = await identity.register()
    tenant_id = {
        "other": other.tenant_id,
        "missing": str(uuid.uuid4()),
        "malformed": "not-a-uuid",
        "empty": "",
    }[tenant]
    error = await identity.fails(
        "ResolveTenantAccess", resolve(account.user_id, tenant_id), identity.service()
    )
    assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, "tenant not found")
    error = await identity.fails(
        "ResolveTenantAccess", resolve("nope", account.tenant_id), identity.service()
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_deactivated_tenant_and_user(identity, db) -> None:
    account = await identity.register()
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE identity.tenants SET is_active = false WHERE id = :t"), {"t": account.tenant_id}
        )
    error = await identity.fails(
        "ResolveTenantAccess", resolve(account.user_id, account.tenant_id), identity.service()
    )
    assert (error.code(), error.details()) == (grpc.StatusCode.PERMISSION_DENIED, "tenant is deactivated")
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE identity.users SET is_active = false WHERE id = :u"), {"u": account.user_id}
        )
    error = await identity.fails(
        "ResolveTenantAccess", resolve(account.user_id, account.tenant_id), identity.service()
    )
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_only_services_may_resolve(identity) -> None:
    account = await identity.register()
    error = await identity.fails(
        "ResolveTenantAccess", resolve(account.user_id, account.tenant_id), identity.user(account)
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
