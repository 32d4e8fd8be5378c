"""Bootstrap on a fresh database: concurrent starts create one root tenant, one owner, one signing key."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from switchyard.db.engine import create_engine
from switchyard.identity.server import migrate, start
from switchyard.identity.v1 import identity_pb2 as pb
from switchyard.identity.v1 import identity_service_pb2 as svc
from switchyard.identity.v1 import identity_service_pb2_grpc as svc_grpc

pytestmark = pytest.mark.integration


@pytest.fixture
async def fresh_settings(identity_settings) -> AsyncIterator[object]:
    """Settings on a brand-new database (dropped afterwards), without a root password."""
    name = f"identity_boot_{uuid.uuid4().hex[:10]}"
    admin = create_engine(identity_settings.database_url)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(identity_settings.database_url).set(database=name).render_as_string(hide_password=False)
    settings = identity_settings.model_copy(
        update={"database_url": url, "root_password": None, "root_email": "Boss@Example.Test"}
    )
    try:
        yield settings
    finally:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_concurrent_first_starts_bootstrap_once(fresh_settings) -> None:
    await migrate(fresh_settings)
    servers = await asyncio.gather(*(start(fresh_settings, port=0) for _ in range(3)))
    try:
        created = [s for s in servers if s.bootstrap.created_root]
        assert len(created) == 1
        password = created[0].bootstrap.generated_password
        assert password
        assert all(s.bootstrap.generated_password is None for s in servers if s is not created[0])

        engine = create_engine(fresh_settings.database_url)
        async with engine.connect() as conn:
            tenants = await conn.scalar(text("SELECT count(*) FROM identity.tenants WHERE is_root"))
            users = await conn.scalar(text("SELECT count(*) FROM identity.users"))
            keys = await conn.scalar(text("SELECT count(*) FROM identity.signing_keys"))
        await engine.dispose()
        assert (tenants, users, keys) == (1, 1, 1)

        async with grpc.aio.insecure_channel(servers[1].address) as channel:
            stub = svc_grpc.IdentityServiceStub(channel)
            session = await stub.Login(svc.LoginRequest(email="boss@example.test", password=password))
        assert session.user.email_verified is True
        assert [(m.tenant_name, m.role, m.is_root) for m in session.memberships] == [
            ("Switchyard", pb.ROLE_OWNER, True)
        ]
    finally:
        for server in servers:
            await server.stop(grace=0.5)

    again = await start(fresh_settings, port=0)
    try:
        assert again.bootstrap.created_root is False
        assert again.bootstrap.generated_password is None
    finally:
        await again.stop(grace=0.5)
