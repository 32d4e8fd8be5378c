"""Composition root: PostgreSQL, Redis, NATS, the internal AgentsService and the public agent.v1 port."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nats.aio.client
from agent.v1 import agent_pb2
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from switchyard import signing
from switchyard.agents.agent_api.auth import AuthCache
from switchyard.agents.agent_api.hub import StreamHub
from switchyard.agents.agent_api.server import start_agent_server
from switchyard.agents.agent_api.servicer import AgentApiServicer
from switchyard.agents.config import Settings
from switchyard.agents.db.base import SCHEMA
from switchyard.agents.db.models import outbox
from switchyard.agents.domain.agent.service import AgentSideService
from switchyard.agents.domain.commands.service import CommandService
from switchyard.agents.domain.common import Clock, utcnow
from switchyard.agents.domain.context import Deps
from switchyard.agents.domain.enrolment.context import EnrolmentDeps
from switchyard.agents.domain.enrolment.service import EnrolmentService
from switchyard.agents.domain.operator.service import OperatorService
from switchyard.agents.domain.routes.service import RouteService
from switchyard.agents.domain.servers.service import ServerService
from switchyard.agents.enrolment_io import NatsDisconnector, OutboxEnrolmentEvents, RedisEnrolmentLimits
from switchyard.agents.events import STREAM, SUBJECTS, OutboxEvents
from switchyard.agents.live import RedisLive
from switchyard.agents.operator_io import AppContainerLookup
from switchyard.agents.progress_io import JetStreamProgress
from switchyard.agents.routes_events import CanonicalRoutes, RouteSnapshotsConsumer
from switchyard.agents.routing import NatsCommandBus
from switchyard.agents.rpc import SERVICE_NAME, AgentsServicer, add_to_server
from switchyard.bus import OutboxRelay, connect, drain_quietly, ensure_stream
from switchyard.db.engine import create_engine, create_read_session_factory, create_session_factory
from switchyard.db.migrations import upgrade
from switchyard.db.redis import create_redis
from switchyard.grpckit.handle import Closer, ServiceHandle, close_all
from switchyard.grpckit.server import RunningServer, start_server

MIGRATIONS = Path(__file__).parent / "db" / "migrations"
# The HKDF label of the install-token key: changing it invalidates every outstanding install token.
_INSTALL_TOKEN_INFO = b"switchyard-agents/install-token-hmac/v1"
# The HKDF label of the command-secret key: changing it makes every stored command secret unreadable.
_COMMAND_SECRET_INFO = b"switchyard-agents/command-secret/v1"
# Thousands of streams opening at once each touch Redis: they queue for these connections instead of
# failing with MaxConnectionsError (redis-py's default pool refuses the 101st concurrent command).
REDIS_CONNECTIONS = 64
# Headroom NATS needs around a payload (AgentLogsReceived wraps the batch).
PAYLOAD_HEADROOM = 4096


@dataclass(kw_only=True)
class AgentsServer(ServiceHandle):
    """A running agents service.

    Attributes:
        running: The internal gRPC server (AgentsService).
        agent_running: The public agent.v1 gRPC server.
        engine: The PostgreSQL engine.
        hub: This replica's command streams.
        enrolment: The enrolment use cases.
    """

    engine: AsyncEngine
    enrolment: EnrolmentService
    agent_running: RunningServer
    hub: StreamHub

    @property
    def agent_address(self) -> str:
        """``host:port`` real agents dial (agent.v1.AgentService)."""
        return self.agent_running.address


async def migrate(settings: Settings) -> None:
    """Apply the agents schema's pending migrations (safe from several processes at once)."""
    await upgrade(url=settings.database_url, script_location=MIGRATIONS, schema=SCHEMA)


def install_token_key(settings: Settings) -> bytes:
    """The install-token HMAC key: configured (used as is), or derived from the principal key (HKDF)."""
    if settings.install_token_key:
        return settings.install_token_key
    return signing.derive_kek(settings.principal_key, info=_INSTALL_TOKEN_INFO)


def _enrolment(settings: Settings, wiring: _Wiring) -> EnrolmentService:
    deps = EnrolmentDeps(
        sessions=wiring.deps.sessions,
        clock=wiring.deps.clock,
        events=OutboxEnrolmentEvents(),
        limits=RedisEnrolmentLimits(wiring.redis),
        disconnector=NatsDisconnector(wiring.nc),
        install_token_key=install_token_key(settings),
        install_token_ttl_seconds=settings.install_token_ttl_seconds,
        refresh_token_ttl_seconds=settings.refresh_token_ttl_seconds,
        agent_address=settings.advertised_agent_address,
    )
    return EnrolmentService(deps)


def _command_types() -> dict[int, str]:
    return {int(value): name for name, value in agent_pb2.CommandType.items()}


@dataclass(frozen=True, slots=True)
class _Wiring:
    deps: Deps
    engine: AsyncEngine
    nc: nats.aio.client.Client
    live: RedisLive
    bus: NatsCommandBus
    redis: Redis


async def _deps(settings: Settings, clock: Clock, closers: list[Closer]) -> _Wiring:
    # Each resource registers its closer as soon as it exists, so a failed start leaks nothing.
    engine = create_engine(settings.database_url, application_name="agents")
    closers.append(engine.dispose)
    redis = create_redis(settings.redis_url, max_connections=REDIS_CONNECTIONS)
    closers.append(redis.aclose)
    nc = await connect(settings.nats_url, name="agents")
    closers.append(lambda: drain_quietly(nc))
    await ensure_stream(nc.jetstream(), name=STREAM, subjects=SUBJECTS)
    live, bus = RedisLive(redis), NatsCommandBus(nc)
    deps = Deps(
        sessions=create_session_factory(engine),
        reads=create_read_session_factory(engine),
        clock=clock,
        events=OutboxEvents(),
        bus=bus,
        live=live,
        command_types=_command_types(),
        presence_ttl_seconds=settings.presence_ttl_seconds,
        command_kek=signing.resolve_kek(
            settings.command_secret_key, principal_key=settings.principal_key, info=_COMMAND_SECRET_INFO
        ),
        progress=JetStreamProgress(nc.jetstream()),
    )
    return _Wiring(deps=deps, engine=engine, nc=nc, live=live, bus=bus, redis=redis)


async def _agent_port(
    settings: Settings,
    wiring: _Wiring,
    commands: CommandService,
    port: int,
    closers: list[Closer],
    routes: RouteService,
) -> tuple[RunningServer, StreamHub]:
    # The public side: auth cache, this replica's streams, and agent.v1 on its own port.
    deps, nc = wiring.deps, wiring.nc
    agents = AgentSideService(deps, commands)
    cache = AuthCache()
    hub = StreamHub(
        nc=nc,
        live=wiring.live,
        bus=wiring.bus,
        agents=agents,
        on_forced_disconnect=cache.evict,
        on_attach=cache.pin,
        on_detach=cache.unpin,
    )
    await hub.start()
    servicer = AgentApiServicer(
        agents=agents,
        hub=hub,
        js=nc.jetstream(),
        clock=deps.clock,
        heartbeat_interval_seconds=settings.heartbeat_interval_seconds,
        max_payload=max(nc.max_payload - PAYLOAD_HEADROOM, 1024),
        routes=CanonicalRoutes(routes),
    )
    try:
        agent_running = await start_agent_server(
            servicer=servicer,
            authenticate=agents.authenticate,
            cache=cache,
            host=settings.agent_grpc_host,
            port=port,
        )
    except BaseException:
        await hub.stop()
        raise
    # Closers run in reverse: the streams end (hub) before the agent port stops, so it stops at once.
    closers += [lambda: agent_running.stop(1.0), hub.stop]
    return agent_running, hub


async def start(
    settings: Settings, *, port: int | None = None, agent_port: int | None = None, clock: Clock | None = None
) -> AgentsServer:
    """Connect, start the outbox relay and serve the internal and the public agent gRPC APIs.

    Args:
        settings: The service configuration.
        port: Overrides ``settings.grpc_port`` (0 picks a free port).
        agent_port: Overrides ``settings.agent_grpc_port`` (0 picks a free port).
        clock: The domain's notion of now (tests may pass their own).

    Returns:
        The running server. It does not migrate: call ``migrate`` first.
    """
    closers: list[Closer] = []
    try:
        wiring = await _deps(settings, clock or utcnow, closers)
        deps = wiring.deps
        relay = OutboxRelay(session_factory=deps.sessions, table=outbox, js=wiring.nc.jetstream())
        relay.start()
        closers.append(relay.stop)
        commands = CommandService(deps)
        routes = RouteService(deps, commands)
        snapshots = RouteSnapshotsConsumer(wiring.nc.jetstream(), routes, durable=settings.routes_durable)
        snapshots.start()
        closers.append(snapshots.stop)
        agent_running, hub = await _agent_port(
            settings,
            wiring,
            commands,
            settings.agent_grpc_port if agent_port is None else agent_port,
            closers,
            routes,
        )
        enrolment = _enrolment(settings, wiring)
        operator = OperatorService(deps, commands, install=enrolment.install, containers=AppContainerLookup())
        servicer = AgentsServicer(
            enrolment=enrolment,
            servers=ServerService(deps, commands),
            commands=commands,
            operator=operator,
            routes=routes,
        )
        running = await start_server(
            name="agents",
            servicers=[(add_to_server, servicer)],
            service_names=[SERVICE_NAME],
            principal_key=settings.principal_key,
            host=settings.grpc_host,
            port=settings.grpc_port if port is None else port,
        )
    except BaseException:
        await close_all(closers[::-1], service="agents")
        raise
    return AgentsServer(
        running=running,
        engine=wiring.engine,
        agent_running=agent_running,
        hub=hub,
        enrolment=enrolment,
        closers=closers[::-1],
    )
