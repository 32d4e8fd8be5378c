"""Integration fixtures for enrolment: one migrated agents schema and one in-process server per run.

Fixture and helper names start with ``enrol`` so other areas' fixtures can live beside them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from sqlalchemy import text
from switchyard.agents.config import Settings
from switchyard.agents.server import AgentsServer, migrate, start
from switchyard.agents.v1 import agents_service_pb2 as svc
from switchyard.agents.v1 import agents_service_pb2_grpc as svc_grpc
from switchyard.grpckit.principal import METADATA_KEY, Principal, PrincipalSigner

# Fixed so tests can sign install tokens themselves (expired, forged, from the far past).
ENROL_INSTALL_KEY = b"agents-enrolment-tests-install-token-hmac-key!!"
ENROL_REFRESH_TTL = 3600


class EnrolClock:
    """Real time plus an offset tests can move (refresh-token expiry)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


class Enrol:
    """A real gRPC client of the in-process agents server, with principal and SQL helpers."""

    install_key = ENROL_INSTALL_KEY

    def __init__(
        self, channel: grpc.aio.Channel, signer: PrincipalSigner, server: AgentsServer, clock: EnrolClock
    ) -> None:
        self.stub = svc_grpc.AgentsServiceStub(channel)
        self.signer = signer
        self.server = server
        self.clock = clock

    async def call(self, method: str, request: Any, principal: Principal | None = None) -> Any:
        """Call ``method``; a principal is signed into the metadata when given (else anonymous)."""
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
    def org() -> str:
        """A fresh org id."""
        return str(uuid.uuid4())

    @staticmethod
    def user(org: str, role: str = "owner", user_id: str | None = None) -> Principal:
        """A member of ``org`` as the gateway presents them."""
        return Principal(
            kind="user", user_id=user_id or str(uuid.uuid4()), tenant_id=org, role=role, token_id="t"
        )

    @staticmethod
    def admin_key(org: str) -> Principal:
        """An admin-authority lsk_ key resolved to ``org`` with admin rights."""
        return Principal(
            kind="admin_key", user_id=str(uuid.uuid4()), tenant_id=org, role="admin", token_id="k"
        )

    async def mint(
        self, org: str, *, name: str = "", ttl: int = 0, principal: Principal | None = None
    ) -> str:
        """An install token of ``org`` minted by its owner."""
        request = svc.CreateInstallTokenRequest(name=name, ttl_seconds=ttl)
        response = await self.call("CreateInstallToken", request, principal or self.user(org))
        return str(response.token)

    async def register(
        self, token: str, *, hostname: str = "", machine_id: str = "", previous: str = ""
    ) -> svc.RegisterServerResponse:
        """RegisterServer as the install script does (anonymous)."""
        request = svc.RegisterServerRequest(
            token=token,
            hostname=hostname or f"host-{uuid.uuid4().hex[:8]}",
            machine_id=machine_id or uuid.uuid4().hex,
            previous_server_id=previous,
        )
        response: svc.RegisterServerResponse = await self.call("RegisterServer", request)
        return response

    async def enrolled(self, org: str, **kwargs: Any) -> svc.RegisterServerResponse:
        """A freshly minted token of ``org`` registered."""
        return await self.register(await self.mint(org), **kwargs)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        """Rows of a read-only query on the agents schema."""
        async with self.server.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())


@pytest.fixture(scope="session")
def enrol_clock() -> EnrolClock:
    """The agents server's clock for this run."""
    return EnrolClock()


@pytest.fixture(scope="session")
def enrol_settings(database_url: str, redis_url: str, nats_url: str, principal_key: bytes) -> Settings:
    """Settings pointing at the run's stack, with a known install-token key."""
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        nats_url=nats_url,
        principal_key=principal_key,
        install_token_key=ENROL_INSTALL_KEY,
        refresh_token_ttl_seconds=ENROL_REFRESH_TTL,
        agent_grpc_address="agents.example.test:9090",
    )


@pytest.fixture(scope="session")
async def enrol_server(enrol_settings: Settings, enrol_clock: EnrolClock) -> AsyncIterator[AgentsServer]:
    """One migrated agents server for the run, on a free port."""
    await migrate(enrol_settings)
    server = await start(enrol_settings, port=0, clock=enrol_clock)
    yield server
    await server.stop(grace=1)


@pytest.fixture(scope="session")
async def enrol(
    enrol_server: AgentsServer, principal_key: bytes, enrol_clock: EnrolClock
) -> AsyncIterator[Enrol]:
    """Client of the session server."""
    async with grpc.aio.insecure_channel(enrol_server.address) as channel:
        yield Enrol(channel, PrincipalSigner(principal_key), enrol_server, enrol_clock)
