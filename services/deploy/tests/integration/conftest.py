"""Integration fixtures: one in-process deploy server over real gRPC, PostgreSQL and NATS, and a JetStream
publisher standing in for the agents service's server events."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import grpc
import nats
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.agents.v1 import agents_pb2, events_pb2
from switchyard.bus import ensure_stream
from switchyard.deploy.config import Settings
from switchyard.deploy.server import DeployServer, migrate, start
from switchyard.deploy.v1 import deploy_pb2
from switchyard.deploy.v1 import deploy_service_pb2 as svc
from switchyard.deploy.v1 import deploy_service_pb2_grpc as svc_grpc
from switchyard.grpckit.principal import METADATA_KEY, Principal, PrincipalSigner
from switchyard.testing import free_port

ENV_KEY = b"deploy-integration-tests-env-var-encryption-key!!"


def new_org() -> str:
    """A fresh org id, so tests never collide in the shared schema."""
    return str(uuid.uuid4())


def member(org: str, role: str = "user") -> Principal:
    """A member of ``org`` with ``role``."""
    return Principal(kind="user", user_id=str(uuid.uuid4()), tenant_id=org, role=role, token_id="t")


def owner(org: str) -> Principal:
    """An org owner as the gateway presents them."""
    return member(org, "owner")


def admin_key(org: str, role: str = "admin") -> Principal:
    """An lsk_ key acting in ``org``."""
    return Principal(kind="admin_key", user_id=str(uuid.uuid4()), tenant_id=org, role=role, token_id="k1")


def service(org: str = "") -> Principal:
    """A service acting for ``org``."""
    return Principal(kind="service", tenant_id=org)


def stamp(moment: datetime | None = None) -> Timestamp:
    """A Timestamp of ``moment`` (now by default)."""
    value = Timestamp()
    value.FromDatetime(moment or datetime.now(UTC))
    return value


class Deploy:
    """Real gRPC client of the deploy server, with helpers for the common steps."""

    new_org = staticmethod(new_org)
    member = staticmethod(member)
    owner = staticmethod(owner)
    admin_key = staticmethod(admin_key)
    service = staticmethod(service)
    stamp = staticmethod(stamp)

    @staticmethod
    def summary(change: Any) -> dict[str, Any]:
        """A change's summary as a dict."""
        return dict(json.loads(change.summary_json))

    def __init__(
        self, channel: grpc.aio.Channel, signer: PrincipalSigner, server: DeployServer, js: Any
    ) -> None:
        self.stub = svc_grpc.DeployServiceStub(channel)
        self.signer = signer
        self.server = server
        self.js = js

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

    async def project(self, org: str, name: str = "Shop", **fields: Any) -> Any:
        """Create a project as the org's owner."""
        request = svc.CreateProjectRequest(name=name, **fields)
        return (await self.call("CreateProject", request, owner(org))).project

    async def app(self, org: str, *, project_id: str | None = None, name: str = "Web", **fields: Any) -> Any:
        """Create an app (and a project for it unless given) as the org's owner."""
        project_id = project_id or (await self.project(org, f"p-{uuid.uuid4().hex[:6]}")).id
        fields.setdefault("server_id", str(uuid.uuid4()))
        request = svc.CreateAppRequest(project_id=project_id, name=name, **fields)
        return (await self.call("CreateApp", request, owner(org))).app

    async def put(
        self, org: str, app_id: str, values: dict[str, str], *, environment: str = "", replace: bool = False
    ) -> Any:
        """PutEnvVars as the org's owner."""
        request = svc.PutEnvVarsRequest(
            app_id=app_id,
            environment=environment,
            vars=[deploy_pb2.EnvVarInput(key=k, value=v) for k, v in values.items()],
            replace=replace,
        )
        return await self.call("PutEnvVars", request, owner(org))

    async def changes(self, org: str, **fields: Any) -> list[Any]:
        """The org's change feed (first page) as a member sees it."""
        return list((await self.call("ListChanges", svc.ListChangesRequest(**fields), member(org))).changes)

    async def publish_registered(self, org: str, server_id: str | None = None, **when: Any) -> str:
        """Publish agents.server.registered as the agents service would; returns the server id."""
        server_id = server_id or str(uuid.uuid4())
        event = events_pb2.ServerRegistered(
            server=agents_pb2.Server(id=server_id, org_id=org, name="box", status="active"),
            occurred_at=stamp(when.get("at")),
        )
        await self.js.publish("agents.server.registered", event.SerializeToString())
        return server_id

    async def publish_revoked(
        self, org: str, server_id: str, *, deleted: bool, at: datetime | None = None
    ) -> None:
        """Publish agents.server.revoked."""
        event = events_pb2.ServerRevoked(
            server_id=server_id, org_id=org, deleted=deleted, occurred_at=stamp(at)
        )
        await self.js.publish("agents.server.revoked", event.SerializeToString())

    async def eventually(self, check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
        """Wait until ``check`` holds (the projection is asynchronous)."""
        deadline = asyncio.get_running_loop().time() + within
        while not await check():
            assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
            await asyncio.sleep(0.05)

    async def new_server(self, org: str) -> str:
        """A server of ``org`` known to deploy's placement projection."""
        server_id = await self.publish_registered(org)

        async def known() -> bool:
            try:
                await self.call(
                    "GetServerPlacement", svc.GetServerPlacementRequest(server_id=server_id), member(org)
                )
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:
                    return False
                raise
            return True

        await self.eventually(known)
        return server_id


@pytest.fixture(scope="session")
def deploy_settings(database_url: str, redis_url: str, nats_url: str, principal_key: bytes) -> Settings:
    """Settings pointing at the run's stack, with a durable of its own on the shared NATS."""
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        nats_url=nats_url,
        principal_key=principal_key,
        env_key=ENV_KEY,
        servers_durable=f"deploy.servers-it-{uuid.uuid4().hex[:8]}",
        domains_durable=f"deploy.domains-it-{uuid.uuid4().hex[:8]}",
        # Nothing listens there: every agents call is UNAVAILABLE (the agents service is not running here).
        agents_addr=f"127.0.0.1:{free_port()}",
    )


@pytest.fixture(scope="session")
async def agents_stream(nats_url: str) -> AsyncIterator[Any]:
    """A JetStream context with the AGENTS stream in place (the agents service is not running here)."""
    client = await nats.connect(nats_url)
    js = client.jetstream()
    await ensure_stream(js, name="AGENTS", subjects=["agents.server.>", "agents.command.>", "agents.logs.>"])
    yield js
    await client.drain()


@pytest.fixture(scope="session")
async def deploy_server(deploy_settings: Settings, agents_stream: Any) -> AsyncIterator[DeployServer]:
    """One migrated deploy server for the run, on a free port."""
    await migrate(deploy_settings)
    server = await start(deploy_settings, port=0)
    yield server
    await server.stop(grace=1)


@pytest.fixture(scope="session")
async def deploy(
    deploy_server: DeployServer, principal_key: bytes, agents_stream: Any
) -> AsyncIterator[Deploy]:
    """Clients of the session server."""
    async with grpc.aio.insecure_channel(deploy_server.address) as channel:
        yield Deploy(channel, PrincipalSigner(principal_key), deploy_server, agents_stream)
