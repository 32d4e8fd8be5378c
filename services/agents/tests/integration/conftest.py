"""Integration fixtures: two agents replicas on one PostgreSQL/Redis/NATS, and a protocol-driving test agent;
and, under names starting with ``enrol``, one more server with a movable clock for the enrolment tests.

Test set-up note: enrolment (RegisterServer) belongs to another part of the service, so ``Fleet.enrol``
inserts a ``servers`` row and an ``agent_secrets`` row (the SHA-256 hex of a random secret) directly
with SQL. Everything after that goes through the real gRPC APIs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from agent.v1 import agent_pb2, agent_pb2_grpc
from sqlalchemy import text
from switchyard.agents.config import Settings
from switchyard.agents.server import AgentsServer, migrate, start
from switchyard.agents.v1 import agents_service_pb2 as svc
from switchyard.agents.v1 import agents_service_pb2_grpc as svc_grpc
from switchyard.db.redis import create_redis
from switchyard.grpckit.principal import METADATA_KEY, Principal, PrincipalSigner

T = agent_pb2
COMMAND_STREAM = "/agent.v1.AgentService/CommandStream"


def new_org() -> str:
    """A fresh org id, so tests never collide in the shared schema."""
    return str(uuid.uuid4())


def owner(org: str) -> Principal:
    """An org owner as the gateway presents them."""
    return Principal(kind="user", user_id=str(uuid.uuid4()), tenant_id=org, role="owner", token_id="t")


def member(org: str, role: str = "user") -> Principal:
    """A member of ``org`` with ``role``."""
    return Principal(kind="user", user_id=str(uuid.uuid4()), tenant_id=org, role=role, token_id="t")


def service(org: str) -> Principal:
    """A service (deploy) acting for ``org``."""
    return Principal(kind="service", tenant_id=org)


def agent_metadata(server_id: str, secret: str) -> tuple[tuple[str, str], ...]:
    """What the real agent sends on every call."""
    return (("authorization", f"Bearer {secret}"), ("server-id", server_id))


def _serialize(frame: Any) -> bytes:
    # Raw bytes go out untouched: how the tests send malformed frames.
    return frame if isinstance(frame, bytes) else frame.SerializeToString()


@dataclass
class Enrolled:
    """A server row with a known agent secret."""

    id: str
    org: str
    secret: str

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The agent's call metadata."""
        return agent_metadata(self.id, self.secret)


@dataclass
class TestAgent:
    """A minimal agent: opens CommandStream, ACKs every command, answers the introspection commands.

    Types it does not answer (EXEC, DEPLOY, ...) are left to the test, which drives them with
    ``progress``/``finish``. CANCEL_COMMAND aborts such a held command with a final ``cancelled`` frame.
    """

    address: str
    server: Enrolled
    answer: bool = True
    ack: bool = True
    skew_ns: int = 0
    received: list[agent_pb2.Command] = field(default_factory=list)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    end_code: grpc.StatusCode | None = None
    _out: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    _channel: grpc.aio.Channel | None = None
    _task: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def connect(self) -> None:
        """Open the stream (the server registers it before this returns to the test)."""
        self._channel = grpc.aio.insecure_channel(self.address)
        self.stub = agent_pb2_grpc.AgentServiceStub(self._channel)
        call = self._channel.stream_stream(
            COMMAND_STREAM, request_serializer=_serialize, response_deserializer=T.Command.FromString
        )(self._outgoing(), metadata=self.server.metadata)
        self._task = asyncio.create_task(self._run(call))

    async def _outgoing(self) -> AsyncIterator[Any]:
        while True:
            frame = await self._out.get()
            if frame is None:
                return
            yield frame

    async def _run(self, call: Any) -> None:
        try:
            async for command in call:
                self.received.append(command)
                self._changed.set()
                if self.ack:
                    await self.stub.AckCommand(
                        T.CommandAck(command_id=command.id, server_id=self.server.id, phase="received"),
                        metadata=self.server.metadata,
                        timeout=3,
                    )
                if self.answer:
                    await self._answer(command)
            self.end_code = grpc.StatusCode.OK
        except grpc.aio.AioRpcError as exc:
            self.end_code = exc.code()
        finally:
            self.ended.set()
            self._changed.set()

    async def _answer(self, command: agent_pb2.Command) -> None:
        payload = json.loads(command.payload or b"{}")
        if command.type == T.COMMAND_TYPE_AGENT_PING:
            body = {"agent_time_nanos": time.time_ns() + self.skew_ns, "agent_version": "test-agent/1.0"}
            await self.finish(command.id, "completed", json.dumps(body))
        elif command.type == T.COMMAND_TYPE_AGENT_STATUS:
            body = {
                "agent_version": "test-agent/1.0",
                "runtime": "python",
                "arch": "x86_64",
                "uptime_seconds": 42,
                "docker_reachable": False,
                "server_time_nanos": time.time_ns() + self.skew_ns,
                "rss_bytes": 1,
            }
            await self.finish(command.id, "completed", json.dumps(body))
        elif command.type == T.COMMAND_TYPE_AGENT_LOGS:
            lines = int(payload.get("lines", 200))
            await self.finish(command.id, "completed", "".join(f"log line {i}\n" for i in range(lines)))
        elif command.type == T.COMMAND_TYPE_RESTART_SELF:
            body = {"message": "agent restart queued", "scheduled_in_seconds": 1}
            await self.finish(command.id, "queued", json.dumps(body))
        elif command.type == T.COMMAND_TYPE_CANCEL_COMMAND:
            target = payload["cancel_command_id"]
            await self.finish(target, "cancelled", "cancelled by CANCEL_COMMAND")
            await self.finish(command.id, "completed", f"cancelled cmd={target}")

    async def send(self, frame: Any) -> None:
        """Send a CommandResult (or raw bytes) on the stream."""
        await self._out.put(frame)

    async def progress(self, command_id: str, text: str) -> None:
        """A progress frame."""
        await self.send(T.CommandResult(command_id=command_id, status="running", output=text.encode()))

    async def finish(self, command_id: str, status: str, text: str = "") -> None:
        """The final frame."""
        await self.send(
            T.CommandResult(command_id=command_id, status=status, output=text.encode(), is_final=True)
        )

    async def wait_for(self, count: int, seconds: float = 10) -> list[agent_pb2.Command]:
        """Wait until ``count`` commands arrived."""
        async with asyncio.timeout(seconds):
            while len(self.received) < count:
                self._changed.clear()
                if self.ended.is_set():
                    raise AssertionError(f"stream ended ({self.end_code}) after {len(self.received)}")
                await self._changed.wait()
        return self.received

    async def close(self) -> None:
        """Drop the stream the way a killed agent does (the call is cancelled)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._channel is not None:
            await self._channel.close()


class Fleet:
    """Clients of both replicas (internal API and agent port) plus set-up helpers."""

    new_org = staticmethod(new_org)
    owner = staticmethod(owner)
    member = staticmethod(member)
    service = staticmethod(service)

    def __init__(self, a: AgentsServer, b: AgentsServer, signer: PrincipalSigner) -> None:
        self.replicas = {"a": a, "b": b}
        self.signer = signer
        self._channels = {name: grpc.aio.insecure_channel(r.address) for name, r in self.replicas.items()}
        self._agent_channels = {
            name: grpc.aio.insecure_channel(r.agent_address) for name, r in self.replicas.items()
        }
        self.stubs = {name: svc_grpc.AgentsServiceStub(ch) for name, ch in self._channels.items()}
        self.agent_stubs = {
            name: agent_pb2_grpc.AgentServiceStub(ch) for name, ch in self._agent_channels.items()
        }

    async def aclose(self) -> None:
        """Close every channel."""
        for channel in [*self._channels.values(), *self._agent_channels.values()]:
            await channel.close()

    async def call(self, method: str, request: Any, principal: Principal, *, via: str = "a") -> Any:
        """Call an AgentsService RPC on replica ``via`` as ``principal``."""
        metadata = ((METADATA_KEY, self.signer.sign(principal)),)
        return await getattr(self.stubs[via], method)(request, metadata=metadata, timeout=30)

    async def fails(self, method: str, request: Any, principal: Principal, *, via: str = "a") -> Any:
        """Call and return the AioRpcError it must raise."""
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await self.call(method, request, principal, via=via)
        return info.value

    async def sql(self, statement: str, **params: Any) -> Any:
        """Run SQL on the shared database (test set-up and inspection only)."""
        async with self.replicas["a"].engine.begin() as conn:
            return await conn.execute(sa.text(statement), params)

    async def enrol(self, org: str | None = None, *, name: str = "web-1") -> Enrolled:
        """Test set-up: insert an active server and an agent secret (its SHA-256 hex) directly."""
        org = org or new_org()
        server_id, secret, now = str(uuid.uuid4()), secrets.token_urlsafe(32), datetime.now(UTC)
        await self.sql(
            "INSERT INTO agents.servers (id, org_id, name, hostname, machine_id, status, agent_version,"
            " enrolled_by, created_at, enrolled_at, updated_at) VALUES (:id, :org, :name, :host, :mid,"
            " 'active', '', 'test', :now, :now, :now)",
            id=server_id,
            org=org,
            name=name,
            host=f"{name}.example",
            mid=uuid.uuid4().hex,
            now=now,
        )
        await self.sql(
            "INSERT INTO agents.agent_secrets (server_id, secret_hash, created_at)"
            " VALUES (:sid, :hash, :now)",
            sid=server_id,
            hash=hashlib.sha256(secret.encode()).hexdigest(),
            now=now,
        )
        return Enrolled(id=server_id, org=org, secret=secret)

    async def issue(self, server: Enrolled, type: int, payload: Any = None, *, via: str = "a") -> Any:
        """IssueCommand as the org's owner; returns the command."""
        request = svc.IssueCommandRequest(
            server_id=server.id, type=type, payload_json=json.dumps(payload) if payload is not None else ""
        )
        return (await self.call("IssueCommand", request, owner(server.org), via=via)).command

    async def command(self, server: Enrolled, command_id: str) -> Any:
        """GetCommand as a member of the org."""
        request = svc.GetCommandRequest(command_id=command_id)
        return (await self.call("GetCommand", request, member(server.org))).command

    async def until(self, check: Callable[[], Any], seconds: float = 10) -> Any:
        """Poll an async check until it returns something truthy."""
        async with asyncio.timeout(seconds):
            while True:
                value = await check()
                if value:
                    return value
                await asyncio.sleep(0.05)

    async def status_of(self, server: Enrolled, command_id: str, status: str) -> Any:
        """Wait until the stored command has ``status``."""

        async def check() -> Any:
            found = await self.command(server, command_id)
            return found if found.status == status else None

        return await self.until(check)

    async def stream_on(self, server: Enrolled, replica: str) -> bool:
        """True once ``replica`` holds the server's stream."""
        return server.id in self.replicas[replica].hub.streams

    @asynccontextmanager
    async def agent(self, server: Enrolled, *, via: str = "a", **options: Any) -> AsyncIterator[TestAgent]:
        """A connected test agent (its stream registered) for the duration of the context."""
        agent = TestAgent(self.replicas[via].agent_address, server, **options)
        await agent.connect()
        try:
            await self.until(lambda: self.stream_on(server, via))
            yield agent
        finally:
            await agent.close()


@pytest.fixture(scope="session")
def agents_settings(database_url: str, redis_url: str, nats_url: str, principal_key: bytes) -> Settings:
    """Settings pointing at the run's stack."""
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        nats_url=nats_url,
        principal_key=principal_key,
        heartbeat_interval_seconds=15,
        presence_ttl_seconds=60,
        routes_durable=f"agents.routes-it-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture(scope="session")
async def replicas(agents_settings: Settings) -> AsyncIterator[tuple[AgentsServer, AgentsServer]]:
    """Two agents replicas (two ``start()`` calls on the same stores), each on free ports."""
    await migrate(agents_settings)
    a = await start(agents_settings, port=0, agent_port=0)
    b = await start(agents_settings, port=0, agent_port=0)
    yield a, b
    await b.stop(grace=1)
    await a.stop(grace=1)


@pytest.fixture(scope="session")
async def fleet(replicas: tuple[AgentsServer, AgentsServer], principal_key: bytes) -> AsyncIterator[Fleet]:
    """Clients of both replicas and the set-up helpers."""
    harness = Fleet(*replicas, PrincipalSigner(principal_key))
    yield harness
    await harness.aclose()


@pytest.fixture(scope="session")
async def redis(redis_url: str) -> AsyncIterator[Any]:
    """Direct Redis access, to look at the live keys."""
    client = create_redis(redis_url)
    yield client
    await client.aclose()


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
    server = await start(enrol_settings, port=0, agent_port=0, clock=enrol_clock)
    yield server
    await server.stop(grace=1)


@pytest.fixture(scope="session")
async def enrol(
    enrol_server: AgentsServer, principal_key: bytes, enrol_clock: EnrolClock
) -> AsyncIterator[Enrol]:
    """Client of the session server."""
    async with grpc.aio.insecure_channel(enrol_server.address) as channel:
        yield Enrol(channel, PrincipalSigner(principal_key), enrol_server, enrol_clock)
