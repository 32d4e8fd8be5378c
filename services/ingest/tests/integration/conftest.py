"""Integration fixtures: one in-process ingest server over real gRPC, PostgreSQL and NATS."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from switchyard.grpckit.principal import METADATA_KEY, Principal, PrincipalSigner
from switchyard.ingest.config import Settings
from switchyard.ingest.server import IngestServer, migrate, start
from switchyard.ingest.v1 import ingest_service_pb2_grpc as svc_grpc


def new_org() -> str:
    """A fresh org id, so tests never collide in the shared schema."""
    return str(uuid.uuid4())


def member(org: str, role: str = "user") -> Principal:
    """A member of ``org`` with ``role``."""
    return Principal(kind="user", user_id=str(uuid.uuid4()), tenant_id=org, role=role, token_id="t")


def owner(org: str) -> Principal:
    """An org owner as the gateway presents them."""
    return member(org, "owner")


class Ingest:
    """Real gRPC client of the ingest server."""

    new_org = staticmethod(new_org)
    member = staticmethod(member)
    owner = staticmethod(owner)

    def __init__(self, channel: grpc.aio.Channel, signer: PrincipalSigner, server: IngestServer) -> None:
        self.stub = svc_grpc.IngestServiceStub(channel)
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


@pytest.fixture(scope="session")
def ingest_settings(database_url: str, redis_url: str, nats_url: str, principal_key: bytes) -> Settings:
    """Settings of this run's ingest server (its own durable, so runs never share a consumer)."""
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        nats_url=nats_url,
        principal_key=principal_key,
        sentry_durable=f"ingest.sentry-it-{uuid.uuid4().hex[:8]}",
        sentry_deliver_new=True,
    )


@pytest.fixture(scope="session")
async def ingest_server(ingest_settings: Settings) -> AsyncIterator[IngestServer]:
    """The ingest server, migrated, on a free port."""
    await migrate(ingest_settings)
    running = await start(ingest_settings, port=0)
    try:
        yield running
    finally:
        await running.js.delete_consumer("INGEST", ingest_settings.sentry_durable.replace(".", "_"))
        await running.stop(grace=1)


@pytest.fixture(scope="session")
async def ingest(ingest_server: IngestServer, principal_key: bytes) -> AsyncIterator[Ingest]:
    """A client of the ingest server."""
    channel = grpc.aio.insecure_channel(ingest_server.address)
    try:
        yield Ingest(channel, PrincipalSigner(principal_key), ingest_server)
    finally:
        await channel.close()
