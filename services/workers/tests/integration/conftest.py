"""Integration fixtures: one migrated workers schema and one in-process server per run, real gRPC calls."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from redis.asyncio import Redis
from switchyard.db.redis import create_redis
from switchyard.grpckit.principal import METADATA_KEY, Principal, PrincipalSigner
from switchyard.workers.config import Settings
from switchyard.workers.server import WorkersServer, migrate, start
from switchyard.workers.v1 import workers_service_pb2 as svc
from switchyard.workers.v1 import workers_service_pb2_grpc as svc_grpc

# Stable across runs so the signing key stored in the shared database stays usable.
TEST_KEK = b"workers-integration-tests-key-encryption-key!!!"


class MovableClock:
    """Real time plus an offset tests can move forward (staleness, token expiry)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Registered:
    """A registered worker: its org, id, runtime token and the principals to act with."""

    org: str
    worker_id: str
    token: str
    key: Principal
    worker: Principal
    response: Any


class Workers:
    """A real gRPC client for the in-process server, with principal helpers."""

    def __init__(self, channel: grpc.aio.Channel, signer: PrincipalSigner, server: WorkersServer) -> None:
        self.stub = svc_grpc.WorkersServiceStub(channel)
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
    def org() -> str:
        """A fresh org id, so tests never share queues."""
        return str(uuid.uuid4())

    @staticmethod
    def org_key(
        org: str, *, scopes: tuple[str, ...] = ("*",), projects: tuple[str, ...] = ("*",)
    ) -> Principal:
        """The principal the gateway sends for an rsk_live_ key."""
        return Principal(
            kind="org_key",
            tenant_id=org,
            scopes=scopes,
            project_ids=projects,
            token_id=f"key-{uuid.uuid4().hex[:8]}",
        )

    @staticmethod
    def as_worker(reg: Registered, worker_id: str | None = None) -> Principal:
        """The principal the gateway builds from a runtime JWT (optionally lying about the worker)."""
        return Principal(
            kind="worker",
            tenant_id=reg.org,
            worker_id=worker_id or reg.worker_id,
            scopes=("worker:heartbeat", "worker:poll", "worker:session"),
            project_ids=reg.key.project_ids,
            token_id="jti",
        )

    @staticmethod
    def admin(org: str) -> Principal:
        """An org admin on a user access token."""
        return Principal(kind="user", user_id=str(uuid.uuid4()), tenant_id=org, role="admin", token_id="t")

    @staticmethod
    def service() -> Principal:
        """The gateway (or another service) acting on its own behalf."""
        return Principal(kind="service")

    async def register(
        self,
        org: str | None = None,
        *,
        capacity: int = 3,
        projects: tuple[str, ...] = (),
        key_projects: tuple[str, ...] = ("*",),
    ) -> Registered:
        """Register a fresh worker with an org-wide key (or a project-scoped one)."""
        org = org or self.org()
        key = self.org_key(org, projects=key_projects)
        request = svc.RegisterWorkerRequest(
            hostname="host-1", capacity=capacity, version="0.72.1", project_ids=list(projects)
        )
        response = await self.call("RegisterWorker", request, key)
        reg = Registered(
            org=org,
            worker_id=response.worker_id,
            token=response.runtime_token,
            key=key,
            worker=Principal(kind="anonymous"),
            response=response,
        )
        reg.worker = self.as_worker(reg)
        return reg

    async def queue(self, org: str, *, issue: str | None = None, priority: int = 3, **fields: Any) -> Any:
        """Queue work as an org admin; returns the session message."""
        request = svc.CreateSessionRequest(
            issue_id=issue or f"issue-{uuid.uuid4().hex[:8]}",
            issue_identifier="ENG-1",
            priority=priority,
            prompt="do it",
            work_type="development",
            **fields,
        )
        response = await self.call("CreateSession", request, self.admin(org))
        return response.session

    async def poll(self, reg: Registered) -> Any:
        """Poll as the worker."""
        return await self.call("PollWork", svc.PollWorkRequest(worker_id=reg.worker_id), reg.worker)

    async def status(self, reg: Registered, session_id: str, status: str, **fields: Any) -> Any:
        """Post a status as the worker."""
        request = svc.UpdateSessionStatusRequest(
            session_id=session_id, worker_id=reg.worker_id, status=status, **fields
        )
        return await self.call("UpdateSessionStatus", request, reg.worker)


@pytest.fixture(scope="session")
def workers_settings(database_url: str, redis_url: str, nats_url: str, principal_key: bytes) -> Settings:
    """Settings pointing at the run's stack; tests run reconciler passes themselves."""
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        nats_url=nats_url,
        principal_key=principal_key,
        key_encryption_key=TEST_KEK,
        reconcile_interval_seconds=0,
    )


@pytest.fixture(scope="session")
def clock() -> MovableClock:
    """The server's clock; tests that move it must move it back."""
    return MovableClock()


@pytest.fixture(scope="session")
async def workers_server(workers_settings: Settings, clock: MovableClock) -> AsyncIterator[WorkersServer]:
    """One migrated workers server for the run, on a free port."""
    await migrate(workers_settings)
    server = await start(workers_settings, port=0, clock=clock)
    yield server
    await server.stop(grace=1)


@pytest.fixture(scope="session")
async def workers(workers_server: WorkersServer, principal_key: bytes) -> AsyncIterator[Workers]:
    """A client of the session server."""
    async with grpc.aio.insecure_channel(workers_server.address) as channel:
        yield Workers(channel, PrincipalSigner(principal_key), workers_server)


@pytest.fixture(scope="session")
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """Direct Redis access to inspect keys (TTLs, locks)."""
    client = create_redis(redis_url)
    yield client
    await client.aclose()
