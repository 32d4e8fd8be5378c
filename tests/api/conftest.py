"""Cross-service HTTP tests: identity, workers and mutations (real gRPC, PostgreSQL, Redis, NATS) behind
in-process gateways.

Identity gets a database of its own for this run, so its root tenant and root owner are the ones
created here with a known password (the root tenant is created once per database). Two gateway apps
share Redis and identity, standing in for two replicas.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from sqlalchemy.engine import make_url
from switchyard.gateway.app import create_app
from switchyard.gateway.config import Settings as GatewaySettings
from switchyard.testing import SmtpSink

ROOT_EMAIL = "root@api-tests.switchyard.test"
ROOT_PASSWORD = "root-Passw0rd-api-tests"
PASSWORD = "correct-Horse-9"
_TOKEN_LINE = re.compile(r"^Token: (\S+)", re.MULTILINE)


def _plain_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
async def api_database_url(database_url: str) -> AsyncIterator[str]:
    """A fresh database on the run's PostgreSQL server, dropped at the end."""
    name = f"sy_api_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_plain_url(database_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    admin = await asyncpg.connect(_plain_url(database_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def identity_addr(
    api_database_url: str, redis_url: str, nats_url: str, principal_key: bytes, smtp_sink: SmtpSink
) -> AsyncIterator[str]:
    """identity's gRPC address, served in this process on a free port."""
    from switchyard.identity import server
    from switchyard.identity.config import Settings as IdentitySettings

    settings = IdentitySettings(
        database_url=api_database_url,
        redis_url=redis_url,
        nats_url=nats_url,
        principal_key=principal_key,
        smtp_host=smtp_sink.host,
        smtp_port=smtp_sink.port,
        app_url="http://gateway.test",
        root_email=ROOT_EMAIL,
        root_password=ROOT_PASSWORD,
    )
    await server.migrate(settings)
    running = await server.start(settings, port=0)
    try:
        yield running.address
    finally:
        await running.stop()


async def _start_workers(settings_values: dict[str, Any]) -> Any:
    from switchyard.workers import server
    from switchyard.workers.config import Settings as WorkersSettings

    settings = WorkersSettings(**settings_values)
    await server.migrate(settings)
    return await server.start(settings, port=0)


@pytest.fixture(scope="session")
def workers_settings_values(
    api_database_url: str, redis_url: str, nats_url: str, principal_key: bytes
) -> dict[str, Any]:
    """Settings of the in-process workers service, for tests that start a variant of it."""
    return {
        "database_url": api_database_url,
        "redis_url": redis_url,
        "nats_url": nats_url,
        "principal_key": principal_key,
    }


@pytest.fixture(scope="session")
async def workers_addr(workers_settings_values: dict[str, Any]) -> AsyncIterator[str]:
    """workers' gRPC address, served in this process on a free port."""
    running = await _start_workers(workers_settings_values)
    try:
        yield running.address
    finally:
        await running.stop()


@pytest.fixture(scope="session")
def start_workers() -> Any:
    """Start another workers server (same stores) with overridden settings; the caller stops it."""
    return _start_workers


@pytest.fixture(scope="session")
async def mutations_addr(
    api_database_url: str, redis_url: str, nats_url: str, principal_key: bytes, workers_addr: str
) -> AsyncIterator[str]:
    """mutations' gRPC address, served in this process on a free port (it validates hosts with workers)."""
    from switchyard.mutations import server
    from switchyard.mutations.config import Settings as MutationsSettings

    settings = MutationsSettings(
        database_url=api_database_url,
        redis_url=redis_url,
        nats_url=nats_url,
        principal_key=principal_key,
        workers_addr=workers_addr,
    )
    await server.migrate(settings)
    running = await server.start(settings, port=0)
    try:
        yield running.address
    finally:
        await running.stop()


@pytest.fixture(scope="session")
async def agents_server(
    api_database_url: str, redis_url: str, nats_url: str, principal_key: bytes
) -> AsyncIterator[Any]:
    """The agents service in this process: internal API and the public agent.v1 port, on free ports."""
    from switchyard.agents import server
    from switchyard.agents.config import Settings as AgentsSettings

    settings = AgentsSettings(
        database_url=api_database_url,
        redis_url=redis_url,
        nats_url=nats_url,
        principal_key=principal_key,
        agent_grpc_address="127.0.0.1:9090",
        routes_durable=f"agents.routes-api-{uuid.uuid4().hex[:8]}",
    )
    await server.migrate(settings)
    running = await server.start(settings, port=0, agent_port=0)
    try:
        yield running
    finally:
        await running.stop(grace=1)


@pytest.fixture(scope="session")
def agents_addr(agents_server: Any) -> str:
    """agents' internal gRPC address."""
    return str(agents_server.address)


@pytest.fixture(scope="session")
async def deploy_addr(
    api_database_url: str, redis_url: str, nats_url: str, principal_key: bytes, agents_addr: str
) -> AsyncIterator[str]:
    """deploy's gRPC address, served in this process on a free port, sending its commands to the agents
    service (which also owns the AGENTS stream deploy projects servers from); the durable is this run's."""
    from switchyard.deploy import server
    from switchyard.deploy.config import Settings as DeploySettings

    settings = DeploySettings(
        database_url=api_database_url,
        redis_url=redis_url,
        nats_url=nats_url,
        principal_key=principal_key,
        servers_durable=f"deploy.servers-api-{uuid.uuid4().hex[:8]}",
        commands_durable=f"deploy.commands-api-{uuid.uuid4().hex[:8]}",
        # A hook's second use within the hour is refused: test_api_deployments pins the 429.
        hook_min_interval_seconds=3600,
        domains_durable=f"deploy.domains-api-{uuid.uuid4().hex[:8]}",
        agents_addr=agents_addr,
    )
    await server.migrate(settings)
    running = await server.start(settings, port=0)
    try:
        yield running.address
    finally:
        await running.stop()


@pytest.fixture(scope="session")
async def ingest_server(api_database_url: str, redis_url: str, nats_url: str, principal_key: bytes) -> Any:
    """The ingest service in this process on a free port; the Sentry durable is this run's."""
    from switchyard.ingest import server
    from switchyard.ingest.config import Settings as IngestSettings

    settings = IngestSettings(
        database_url=api_database_url,
        redis_url=redis_url,
        nats_url=nats_url,
        principal_key=principal_key,
        sentry_durable=f"ingest.sentry-api-{uuid.uuid4().hex[:8]}",
        analytics_durable=f"ingest.analytics-api-{uuid.uuid4().hex[:8]}",
        metrics_durable=f"ingest.metrics-api-{uuid.uuid4().hex[:8]}",
        sentry_deliver_new=True,
        otlp_deliver_new=True,
        otlp_durable=f"ingest.otlp-api-{uuid.uuid4().hex[:8]}",
        agent_logs_durable=f"ingest.agent-logs-api-{uuid.uuid4().hex[:8]}",
    )
    await server.migrate(settings)
    running = await server.start(settings, port=0)
    yield running
    for durable in (settings.sentry_durable, settings.analytics_durable, settings.metrics_durable):
        await running.js.delete_consumer("INGEST", durable.replace(".", "_"))
    await running.stop()


@pytest.fixture(scope="session")
def ingest_addr(ingest_server: Any) -> str:
    """ingest's gRPC address."""
    return str(ingest_server.address)


def gateway_settings(
    identity_addr: str, redis_url: str, principal_key: bytes, **overrides: Any
) -> GatewaySettings:
    """Gateway settings for tests; the client IP comes from X-Forwarded-For so tests can pick one."""
    values: dict[str, Any] = {
        "identity_addr": identity_addr,
        "redis_url": redis_url,
        "principal_key": principal_key,
        "trust_proxy": True,
        "auth_rate_limit_per_minute": 100_000,
        "cors_origins": "http://app.example",
        # Every in-process service shares the test's event loop on a 2-core CI box: a GC pause or a burst
        # of work elsewhere must not turn into a 504. Deadlines themselves are tested with their own value.
        "rpc_timeout_seconds": 15.0,
    }
    values.update(overrides)
    return GatewaySettings(**values)


async def _hold_lifespan(app: Litestar, started: asyncio.Event, stop: asyncio.Event) -> None:
    # The lifespan's task group must be entered and left by one task; fixtures set up and tear down
    # in different tasks, so a dedicated task holds it.
    async with app.lifespan():
        started.set()
        await stop.wait()


@asynccontextmanager
async def serve(settings: GatewaySettings) -> AsyncIterator[httpx.AsyncClient]:
    """Run a gateway app (with its lifespan) in this event loop and yield an HTTP client for it.

    Not litestar's AsyncTestClient: that runs the app on a portal thread and blocks this loop while a
    request is in flight, which would starve the identity server living in this loop.
    """
    app = create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(_hold_lifespan(app, started, stop))
    await asyncio.wait([holder, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if holder.done():
        holder.result()  # the lifespan failed: raise its error here
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            yield client
    finally:
        stop.set()
        await holder


@pytest.fixture(scope="session")
def serve_gateway() -> Any:
    """``serve`` for tests that need a gateway with their own settings."""
    return serve


@pytest.fixture(scope="session")
def fleet_addrs(
    workers_addr: str,
    mutations_addr: str,
    agents_addr: str,
    deploy_addr: str,
    ingest_addr: str,
    nats_url: str,
) -> dict[str, str]:
    """Gateway settings pointing at the in-process services (and NATS, for the ingest doors)."""
    return {
        "nats_url": nats_url,
        "workers_addr": workers_addr,
        "mutations_addr": mutations_addr,
        "agents_addr": agents_addr,
        "deploy_addr": deploy_addr,
        "ingest_addr": ingest_addr,
    }


@pytest.fixture(scope="session")
async def gateway(
    identity_addr: str, redis_url: str, principal_key: bytes, fleet_addrs: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP client of gateway replica A."""
    async with serve(gateway_settings(identity_addr, redis_url, principal_key, **fleet_addrs)) as client:
        yield client


@pytest.fixture(scope="session")
async def gateway_b(
    identity_addr: str, redis_url: str, principal_key: bytes, fleet_addrs: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP client of gateway replica B (same services and Redis, its own in-process caches)."""
    async with serve(gateway_settings(identity_addr, redis_url, principal_key, **fleet_addrs)) as client:
        yield client


def unique_email(tag: str) -> str:
    """An email no other test (or run) uses."""
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.com"


def bearer(token: str, tenant_id: str | None = None) -> dict[str, str]:
    """Authorization (and optionally X-Tenant-ID) headers."""
    headers = {"Authorization": f"Bearer {token}"}
    if tenant_id is not None:
        headers["X-Tenant-ID"] = tenant_id
    return headers


def mailed_token(message: Any) -> str:
    """The token a mail from identity carries on its ``Token:`` line."""
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else message.get_content()
    found = _TOKEN_LINE.search(text)
    assert found, f"no token in mail {message['Subject']!r}"
    return found.group(1)


@dataclass
class Session:
    """A signed-in user as the tests use them."""

    email: str
    access: str
    refresh: str
    user_id: str
    tenant_id: str
    body: dict[str, Any]

    def headers(self, tenant_id: str | None = None) -> dict[str, str]:
        """Auth headers scoped to ``tenant_id`` (the personal tenant by default)."""
        return bearer(self.access, tenant_id or self.tenant_id)


def _session(email: str, body: dict[str, Any]) -> Session:
    personal = next(m for m in body["memberships"] if m["role"] == "owner" and not m["isRoot"])
    return Session(
        email=email,
        access=body["accessToken"],
        refresh=body["refreshToken"],
        user_id=body["user"]["id"],
        tenant_id=personal["tenantId"],
        body=body,
    )


class Api:
    """Helpers bound to one gateway client (test modules cannot import conftest under importlib)."""

    PASSWORD = PASSWORD
    ROOT_EMAIL = ROOT_EMAIL
    ROOT_PASSWORD = ROOT_PASSWORD
    bearer = staticmethod(bearer)
    unique_email = staticmethod(unique_email)
    mailed_token = staticmethod(mailed_token)

    def __init__(self, client: httpx.AsyncClient, smtp: SmtpSink) -> None:
        self.client = client
        self.smtp = smtp

    async def register(self, tag: str = "user", **extra: Any) -> Session:
        """Register a fresh user and return its session."""
        email = unique_email(tag)
        payload = {"email": email, "password": PASSWORD, "displayName": f"{tag.title()} Tester", **extra}
        response = await self.client.post("/api/auth/register", json=payload)
        assert response.status_code == 201, response.text
        return _session(email, response.json())

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        """POST /api/auth/login."""
        return await self.client.post("/api/auth/login", json={"email": email, "password": password})

    async def login_root(self) -> Session:
        """Sign in as the root tenant's owner; ``tenant_id`` is then the root tenant."""
        response = await self.login(ROOT_EMAIL, ROOT_PASSWORD)
        assert response.status_code == 200, response.text
        body = response.json()
        root = next(m for m in body["memberships"] if m["isRoot"])
        return Session(
            ROOT_EMAIL, body["accessToken"], body["refreshToken"], body["user"]["id"], root["tenantId"], body
        )

    async def mail_token(self, *, to: str, subject_contains: str) -> str:
        """Wait for identity's mail to ``to`` and return its token."""
        message = await self.smtp.wait_for(to=to, subject_contains=subject_contains)
        return mailed_token(message)


@pytest.fixture
def api(gateway: httpx.AsyncClient, smtp_sink: SmtpSink) -> Api:
    """Helpers on gateway replica A."""
    return Api(gateway, smtp_sink)


@pytest.fixture
def api_b(gateway_b: httpx.AsyncClient, smtp_sink: SmtpSink) -> Api:
    """Helpers on gateway replica B."""
    return Api(gateway_b, smtp_sink)


@dataclass
class Org:
    """A fresh org (its owner's personal tenant) with an org-wide rsk_live_ key."""

    owner: Session
    key: str

    @property
    def id(self) -> str:
        """The org (tenant) id."""
        return self.owner.tenant_id


@dataclass
class Worker:
    """A registered daemon host: its id and runtime token."""

    id: str
    token: str
    body: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        """``Authorization: Bearer <runtime JWT>``."""
        return bearer(self.token)


class Fleet:
    """Worker-protocol helpers on one gateway client."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.client = api.client

    async def org(self, tag: str = "fleet", *, scopes: list[str] | None = None, projects: Any = "all") -> Org:
        """Register an owner and mint an rsk_live_ key for their org."""
        owner = await self.api.register(tag)
        body: dict[str, Any] = {"name": f"{tag} daemon", "projects": projects}
        if scopes is not None:
            body["scopes"] = scopes
        made = await self.client.post(
            f"/api/org/{owner.tenant_id}/keys", headers=bearer(owner.access), json=body
        )
        assert made.status_code == 201, made.text
        return Org(owner=owner, key=made.json()["key"]["fullKey"])

    async def register(self, org: Org, *, capacity: int = 2, **extra: Any) -> Worker:
        """POST /api/workers/register with the org key as Bearer."""
        payload = {"hostname": f"host-{uuid.uuid4().hex[:8]}", "capacity": capacity, **extra}
        response = await self.client.post("/api/workers/register", headers=bearer(org.key), json=payload)
        assert response.status_code == 201, response.text
        body = response.json()
        return Worker(id=body["workerId"], token=body["runtimeToken"], body=body)

    async def queue(self, org: Org, **fields: Any) -> dict[str, Any]:
        """POST /api/sessions with the org key; returns the queued session."""
        payload = {"issueId": f"issue-{uuid.uuid4().hex[:8]}", "issueIdentifier": "ENG-1", **fields}
        response = await self.client.post("/api/sessions", headers=bearer(org.key), json=payload)
        assert response.status_code == 201, response.text
        session: dict[str, Any] = response.json()["session"]
        return session

    async def beat(self, worker: Worker, **body: Any) -> httpx.Response:
        """POST /api/workers/{id}/heartbeat."""
        payload = {"activeCount": 0, "maxSessions": 2, **body}
        return await self.client.post(
            f"/api/workers/{worker.id}/heartbeat", headers=worker.headers, json=payload
        )


@pytest.fixture
def fleet(api: Api) -> Fleet:
    """Worker-protocol helpers on gateway replica A."""
    return Fleet(api)
