"""Integration fixtures: one migrated identity schema and one in-process server per run, real gRPC calls."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from switchyard.db.engine import create_engine
from switchyard.grpckit.principal import METADATA_KEY, Principal, PrincipalSigner
from switchyard.identity.config import Settings
from switchyard.identity.server import IdentityServer, migrate, start
from switchyard.identity.v1 import identity_service_pb2 as svc
from switchyard.identity.v1 import identity_service_pb2_grpc as svc_grpc

# Stable across runs so the signing key stored in the shared database stays usable.
TEST_KEK = b"identity-integration-tests-key-encryption-key!!"
PASSWORD = "correct-horse-battery"
TOKEN_RE = re.compile(r"^Token: (\S+)", re.MULTILINE)


def unique_email(tag: str = "user") -> str:
    """A fresh address per call so tests never collide in the shared schema."""
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.test"


def mail_token(message: Any) -> str:
    """The token from a mail's ``Token:`` line."""
    body = message.get_content() if message.is_multipart() is False else message.get_body().get_content()
    found = TOKEN_RE.search(body)
    assert found, body
    return found.group(1)


@dataclass
class Account:
    """A registered user with its session and personal tenant."""

    user_id: str
    email: str
    tenant_id: str
    access_token: str
    refresh_token: str
    response: Any


class Identity:
    """A real gRPC client for the in-process server, with principal helpers."""

    password = PASSWORD
    email = staticmethod(unique_email)
    token_from = staticmethod(mail_token)

    def __init__(self, channel: grpc.aio.Channel, signer: PrincipalSigner, server: IdentityServer) -> None:
        self.stub = svc_grpc.IdentityServiceStub(channel)
        self.signer = signer
        self.server = server

    async def call(self, method: str, request: Any, principal: Principal | None = None) -> Any:
        """Call ``method``; a principal is signed into the metadata when given."""
        metadata = ((METADATA_KEY, self.signer.sign(principal)),) if principal else None
        return await getattr(self.stub, method)(request, metadata=metadata, timeout=15)

    async def fails(
        self, method: str, request: Any, principal: Principal | None = None
    ) -> grpc.aio.AioRpcError:
        """Call ``method`` and return the error it must raise."""
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await self.call(method, request, principal)
        return info.value

    @staticmethod
    def user(account: Account, *, tenant_id: str | None = None, role: str = "") -> Principal:
        """The principal the gateway would send for this account's access token."""
        claims = jwt.decode(account.access_token, options={"verify_signature": False})
        return Principal(
            kind="user",
            user_id=account.user_id,
            tenant_id=account.tenant_id if tenant_id is None else tenant_id,
            role=role,
            token_id=claims["jti"],
            token_expires_at=float(claims["exp"]),
        )

    @staticmethod
    def service() -> Principal:
        """The gateway acting on its own behalf."""
        return Principal(kind="service")

    async def register(
        self, *, email: str | None = None, name: str = "Test User", invitation: str = ""
    ) -> Account:
        """Register a fresh user."""
        email = email or unique_email()
        response = await self.call(
            "Register",
            svc.RegisterRequest(
                email=email, password=PASSWORD, display_name=name, invitation_token=invitation
            ),
        )
        personal = next(m for m in response.memberships if m.role == 1)
        return Account(
            user_id=response.user.id,
            email=email,
            tenant_id=personal.tenant_id,
            access_token=response.tokens.access_token,
            refresh_token=response.tokens.refresh_token,
            response=response,
        )


@pytest.fixture(scope="session")
def identity_settings(
    database_url: str, redis_url: str, nats_url: str, principal_key: bytes, smtp_sink: Any
) -> Settings:
    """Settings pointing at the run's stack and SMTP sink."""
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        nats_url=nats_url,
        principal_key=principal_key,
        smtp_host=smtp_sink.host,
        smtp_port=smtp_sink.port,
        app_url="http://app.test",
        key_encryption_key=TEST_KEK,
        root_password="root-password-for-tests",
    )


@pytest.fixture(scope="session")
async def migrated(identity_settings: Settings) -> Settings:
    """The identity schema, migrated once per run."""
    await migrate(identity_settings)
    return identity_settings


@pytest.fixture(scope="session")
async def identity_server(migrated: Settings) -> AsyncIterator[IdentityServer]:
    """One identity server for the run, on a free port."""
    server = await start(migrated, port=0)
    yield server
    await server.stop(grace=1)


@pytest.fixture(scope="session")
async def identity(identity_server: IdentityServer, principal_key: bytes) -> AsyncIterator[Identity]:
    """A client of the session server."""
    async with grpc.aio.insecure_channel(identity_server.address) as channel:
        yield Identity(channel, PrincipalSigner(principal_key), identity_server)


@pytest.fixture(scope="session")
async def db(migrated: Settings) -> AsyncIterator[AsyncEngine]:
    """Direct database access for setting up states the API cannot reach quickly (e.g. expiry)."""
    engine = create_engine(migrated.database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def root_tenant_id(identity_server: IdentityServer, db: AsyncEngine) -> str:
    """The root tenant created by bootstrap."""
    async with db.connect() as conn:
        value = await conn.scalar(text("SELECT id FROM identity.tenants WHERE is_root"))
    assert value is not None
    return str(value)


@pytest.fixture(scope="session")
async def root_owner_id(root_tenant_id: str, db: AsyncEngine) -> str:
    """The root tenant's owner (created by bootstrap)."""
    async with db.connect() as conn:
        value = await conn.scalar(
            text("SELECT user_id FROM identity.memberships WHERE tenant_id = :t AND role = 'owner'"),
            {"t": root_tenant_id},
        )
    assert value is not None
    return str(value)


@pytest.fixture(scope="session")
def root_admin(root_tenant_id: str, root_owner_id: str) -> Principal:
    """The root owner as the gateway would present them on an admin route."""
    return Principal(
        kind="user",
        user_id=root_owner_id,
        tenant_id=root_tenant_id,
        role="owner",
        is_root=True,
        token_id="root",
    )
