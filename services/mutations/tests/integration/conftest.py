"""Integration fixtures: the real workers service (host validation) and one in-process mutations server."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.protobuf.struct_pb2 import Struct
from redis.asyncio import Redis
from switchyard.db.redis import create_redis
from switchyard.grpckit.principal import METADATA_KEY, Principal, PrincipalSigner
from switchyard.mutations.config import Settings
from switchyard.mutations.server import MutationsServer, migrate, start
from switchyard.mutations.v1 import mutations_pb2 as pb
from switchyard.mutations.v1 import mutations_service_pb2 as svc
from switchyard.mutations.v1 import mutations_service_pb2_grpc as svc_grpc
from switchyard.workers import server as workers_server_module
from switchyard.workers.config import Settings as WorkersSettings
from switchyard.workers.v1 import workers_service_pb2 as wsvc
from switchyard.workers.v1 import workers_service_pb2_grpc as wgrpc

# The workers tests' key: both suites share the workers schema, so one key keeps its signing key usable.
WORKERS_KEK = b"workers-integration-tests-key-encryption-key!!!"


def new_org() -> str:
    """A fresh org id, so tests never collide in the shared schema."""
    return str(uuid.uuid4())


def owner(org: str) -> Principal:
    """An org owner as the gateway presents them."""
    return Principal(kind="user", user_id=str(uuid.uuid4()), tenant_id=org, role="owner", token_id="t")


def member(org: str, role: str) -> Principal:
    """A member of ``org`` with ``role``."""
    return Principal(kind="user", user_id=str(uuid.uuid4()), tenant_id=org, role=role, token_id="t")


def org_key(org: str, *scopes: str) -> Principal:
    """An org key (rsk_live_) of ``org`` holding ``scopes``."""
    return Principal(
        kind="org_key",
        tenant_id=org,
        scopes=scopes,
        project_ids=("*",),
        token_id=f"key-{uuid.uuid4().hex[:8]}",
    )


def service() -> Principal:
    """The gateway acting on its own behalf."""
    return Principal(kind="service")


def worker(org: str, host: str) -> Principal:
    """The principal the gateway builds from a worker's runtime JWT."""
    return Principal(kind="worker", tenant_id=org, worker_id=host, scopes=("*",), project_ids=("*",))


def params(value: dict[str, Any]) -> Struct:
    """A JSON object as a Struct."""
    message = Struct()
    message.update(value)
    return message


def error_fields(error: grpc.aio.AioRpcError) -> dict[str, Any]:
    """The ``x-error-fields`` trailing metadata of a refused call."""
    for key, value in error.trailing_metadata() or ():
        if key == "x-error-fields":
            return dict(json.loads(value))
    return {}


class Mutations:
    """Real gRPC clients of the mutations and workers servers, with helpers for the common steps."""

    new_org = staticmethod(new_org)
    owner = staticmethod(owner)
    member = staticmethod(member)
    org_key = staticmethod(org_key)
    worker = staticmethod(worker)
    service = staticmethod(service)
    params = staticmethod(params)
    error_fields = staticmethod(error_fields)

    def __init__(
        self,
        channel: grpc.aio.Channel,
        workers_channel: grpc.aio.Channel,
        signer: PrincipalSigner,
        server: MutationsServer,
    ) -> None:
        self.stub = svc_grpc.MutationsServiceStub(channel)
        self.workers = wgrpc.WorkersServiceStub(workers_channel)
        self.signer = signer
        self.server = server

    def _metadata(self, principal: Principal | None) -> tuple[tuple[str, str], ...] | None:
        return ((METADATA_KEY, self.signer.sign(principal)),) if principal else None

    async def call(self, method: str, request: Any, principal: Principal | None = None) -> Any:
        """Call ``method``; a principal is signed into the metadata when given."""
        return await getattr(self.stub, method)(request, metadata=self._metadata(principal), timeout=15)

    async def fails(
        self, method: str, request: Any, principal: Principal | None = None
    ) -> grpc.aio.AioRpcError:
        """Call ``method`` and return the error it must raise."""
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await self.call(method, request, principal)
        return info.value

    async def new_host(self, org: str) -> str:
        """Register a worker with the real workers service, as the gateway does for an org key."""
        response = await self.workers.RegisterWorker(
            wsvc.RegisterWorkerRequest(hostname=f"host-{uuid.uuid4().hex[:6]}", capacity=2),
            metadata=self._metadata(org_key(org, "worker:register")),
            timeout=15,
        )
        return str(response.worker_id)

    async def enqueue(self, org: str, host: str, op: str = "project.add", **values: Any) -> Any:
        """Queue a mutation as the org's owner and return it."""
        body = values or {"id": "proj-1", "repository": "github.com/acme/app"}
        response = await self.call(
            "EnqueueMutation",
            svc.EnqueueMutationRequest(worker_host_id=host, op=op, params=params(body)),
            owner(org),
        )
        return response.mutation

    async def beat(
        self, org: str, host: str, *, applied: tuple[str, ...] = (), failures: dict[str, str] | None = None
    ) -> Any:
        """One heartbeat's delivery call, as the worker itself."""
        request = svc.DeliverOnHeartbeatRequest(
            worker_host_id=host,
            applied_mutation_ids=list(applied),
            mutation_failures=[pb.MutationFailure(id=k, error=v) for k, v in (failures or {}).items()],
        )
        return await self.call("DeliverOnHeartbeat", request, worker(org, host))

    async def history(self, org: str, host: str, limit: int = 0) -> list[Any]:
        """The host's mutations as its owner sees them."""
        response = await self.call(
            "ListMutations", svc.ListMutationsRequest(worker_host_id=host, limit=limit), owner(org)
        )
        return list(response.mutations)


@pytest.fixture(scope="session")
async def workers_server(
    database_url: str, redis_url: str, nats_url: str, principal_key: bytes
) -> AsyncIterator[Any]:
    """The real workers service, which the mutations service asks about hosts."""
    settings = WorkersSettings(
        database_url=database_url,
        redis_url=redis_url,
        nats_url=nats_url,
        principal_key=principal_key,
        key_encryption_key=WORKERS_KEK,
    )
    await workers_server_module.migrate(settings)
    server = await workers_server_module.start(settings, port=0)
    yield server
    await server.stop(grace=1)


@pytest.fixture(scope="session")
def mutations_settings(
    database_url: str, redis_url: str, nats_url: str, principal_key: bytes, workers_server: Any
) -> Settings:
    """Settings pointing at the run's stack and workers server; the repair loop runs only on demand."""
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        nats_url=nats_url,
        principal_key=principal_key,
        workers_addr=workers_server.address,
        repair_interval_seconds=0,
    )


@pytest.fixture(scope="session")
async def mutations_server(mutations_settings: Settings) -> AsyncIterator[MutationsServer]:
    """One migrated mutations server for the run, on a free port."""
    await migrate(mutations_settings)
    server = await start(mutations_settings, port=0)
    yield server
    await server.stop(grace=1)


@pytest.fixture(scope="session")
async def mutations(
    mutations_server: MutationsServer, workers_server: Any, principal_key: bytes
) -> AsyncIterator[Mutations]:
    """Clients of the session servers."""
    async with (
        grpc.aio.insecure_channel(mutations_server.address) as channel,
        grpc.aio.insecure_channel(workers_server.address) as workers_channel,
    ):
        yield Mutations(channel, workers_channel, PrincipalSigner(principal_key), mutations_server)


@pytest.fixture(scope="session")
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """Direct Redis access, to look at (and break) pending markers."""
    client = create_redis(redis_url)
    yield client
    await client.aclose()
