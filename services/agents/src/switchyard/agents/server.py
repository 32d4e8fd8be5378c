"""Composition root: PostgreSQL, Redis, NATS, the internal AgentsService and the public agent.v1 port."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nats.aio.client
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from switchyard import signing
from switchyard.agents.config import Settings
from switchyard.agents.db.base import SCHEMA
from switchyard.agents.db.models import outbox
from switchyard.agents.domain.enrolment.context import Clock, EnrolmentDeps, utcnow
from switchyard.agents.domain.enrolment.service import EnrolmentService
from switchyard.agents.enrolment_io import NatsDisconnector, OutboxEnrolmentEvents, RedisEnrolmentLimits
from switchyard.agents.rpc import SERVICE_NAME, AgentsServicer, add_to_server
from switchyard.bus import OutboxRelay, connect, drain_quietly, ensure_stream
from switchyard.db.engine import create_engine, create_session_factory
from switchyard.db.migrations import upgrade
from switchyard.db.redis import create_redis
from switchyard.grpckit.handle import Closer, ServiceHandle, close_all
from switchyard.grpckit.server import start_server

MIGRATIONS = Path(__file__).parent / "db" / "migrations"
STREAM = "AGENTS"
SUBJECTS = ["agents.>"]
# The HKDF label of the install-token key: changing it invalidates every outstanding install token.
_INSTALL_TOKEN_INFO = b"switchyard-agents/install-token-hmac/v1"


@dataclass(kw_only=True)
class AgentsServer(ServiceHandle):
    """A running agents service.

    Attributes:
        running: The internal gRPC server (AgentsService).
        engine: The PostgreSQL engine.
        enrolment: The enrolment use cases.
    """

    engine: AsyncEngine
    enrolment: EnrolmentService


async def migrate(settings: Settings) -> None:
    """Apply the agents schema's pending migrations (safe from several processes at once)."""
    await upgrade(url=settings.database_url, script_location=MIGRATIONS, schema=SCHEMA)


def install_token_key(settings: Settings) -> bytes:
    """The install-token HMAC key: configured (used as is), or derived from the principal key (HKDF)."""
    if settings.install_token_key:
        return settings.install_token_key
    return signing.derive_kek(settings.principal_key, info=_INSTALL_TOKEN_INFO)


def _enrolment(
    settings: Settings,
    *,
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    nc: nats.aio.client.Client,
    clock: Clock,
) -> EnrolmentService:
    deps = EnrolmentDeps(
        sessions=sessions,
        clock=clock,
        events=OutboxEnrolmentEvents(),
        limits=RedisEnrolmentLimits(redis),
        disconnector=NatsDisconnector(nc),
        install_token_key=install_token_key(settings),
        install_token_ttl_seconds=settings.install_token_ttl_seconds,
        refresh_token_ttl_seconds=settings.refresh_token_ttl_seconds,
        agent_address=settings.advertised_agent_address,
    )
    return EnrolmentService(deps)


async def start(settings: Settings, *, port: int | None = None, clock: Clock | None = None) -> AgentsServer:
    """Connect, start the outbox relay and serve the internal gRPC API.

    Args:
        settings: The service configuration.
        port: Overrides ``settings.grpc_port`` (0 picks a free port).
        clock: The domain's notion of now; tests pass a controllable one.

    Returns:
        The running server. It does not migrate: call ``migrate`` first.
    """
    closers: list[Closer] = []
    try:
        engine = create_engine(settings.database_url, application_name="agents")
        closers.append(engine.dispose)
        redis = create_redis(settings.redis_url)
        closers.append(redis.aclose)
        nc = await connect(settings.nats_url, name="agents")
        closers.append(lambda: drain_quietly(nc))
        js = nc.jetstream()
        await ensure_stream(js, name=STREAM, subjects=SUBJECTS)
        sessions = create_session_factory(engine)
        relay = OutboxRelay(session_factory=sessions, table=outbox, js=js)
        relay.start()
        closers.append(relay.stop)
        enrolment = _enrolment(settings, sessions=sessions, redis=redis, nc=nc, clock=clock or utcnow)
        running = await start_server(
            name="agents",
            servicers=[(add_to_server, AgentsServicer(enrolment=enrolment))],
            service_names=[SERVICE_NAME],
            principal_key=settings.principal_key,
            host=settings.grpc_host,
            port=settings.grpc_port if port is None else port,
        )
    except BaseException:
        await close_all(closers[::-1], service="agents")
        raise
    return AgentsServer(running=running, engine=engine, enrolment=enrolment, closers=closers[::-1])
