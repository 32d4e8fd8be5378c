"""Composition root: wires PostgreSQL, NATS, the env var key, the domain and the gRPC server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from switchyard import signing
from switchyard.bus import OutboxRelay, connect, drain_quietly, ensure_stream
from switchyard.db.engine import create_engine, create_read_session_factory, create_session_factory
from switchyard.db.migrations import upgrade
from switchyard.deploy.agents_client import AgentsCommands
from switchyard.deploy.command_events import CommandEventsConsumer
from switchyard.deploy.config import Settings
from switchyard.deploy.db.base import SCHEMA
from switchyard.deploy.db.models import outbox
from switchyard.deploy.domain.apps.environments import EnvironmentService
from switchyard.deploy.domain.apps.service import AppService
from switchyard.deploy.domain.changes.service import ChangeService
from switchyard.deploy.domain.common import Clock, utcnow
from switchyard.deploy.domain.context import Deps
from switchyard.deploy.domain.deployments.service import DeploymentService
from switchyard.deploy.domain.domains.service import DomainService
from switchyard.deploy.domain.envvars.service import EnvVarService
from switchyard.deploy.domain.hooks.service import HookService
from switchyard.deploy.domain.placement.projection import ServerProjection
from switchyard.deploy.domain.placement.service import PlacementService
from switchyard.deploy.domain.projects.service import ProjectService
from switchyard.deploy.events import STREAM, SUBJECTS, OutboxEvents
from switchyard.deploy.progress import JetStreamProgressLog
from switchyard.deploy.progress import ensure as ensure_progress_stream
from switchyard.deploy.route_results import RouteResultsConsumer
from switchyard.deploy.rpc import SERVICE_NAME, DeployServicer, Services, add_to_server
from switchyard.deploy.server_events import ServerEventsConsumer
from switchyard.grpckit.handle import Closer, ServiceHandle, close_all
from switchyard.grpckit.server import start_server

MIGRATIONS = Path(__file__).parent / "db" / "migrations"
# The HKDF label of the env var key derived from the principal key; changing it orphans every stored value.
_ENV_KEY_INFO = b"switchyard-deploy/env-var-encryption/v1"


@dataclass(kw_only=True)
class DeployServer(ServiceHandle):
    """A running deploy service and everything it must close on the way out.

    Attributes:
        running: The gRPC server.
        deps: The collaborators the domain services were built with.
        engine: The PostgreSQL engine (tests read raw rows through it).
    """

    deps: Deps
    engine: AsyncEngine
    progress: JetStreamProgressLog


def env_key(settings: Settings) -> bytes:
    """The AES-256 key env var values are sealed under: configured, or derived from the principal key."""
    return signing.resolve_kek(settings.env_key, principal_key=settings.principal_key, info=_ENV_KEY_INFO)


async def migrate(settings: Settings) -> None:
    """Apply the deploy schema's pending migrations (safe to run from several processes at once)."""
    await upgrade(url=settings.database_url, script_location=MIGRATIONS, schema=SCHEMA)


def _services(deps: Deps, progress: JetStreamProgressLog) -> Services:
    deployments = DeploymentService(deps)
    return Services(
        projects=ProjectService(deps),
        apps=AppService(deps),
        environments=EnvironmentService(deps),
        env_vars=EnvVarService(deps),
        placement=PlacementService(deps),
        changes=ChangeService(deps),
        deployments=deployments,
        hooks=HookService(deps, deployments),
        progress=progress,
        domains=DomainService(deps),
    )


async def _build(
    settings: Settings, clock: Clock, closers: list[Closer]
) -> tuple[Deps, AsyncEngine, JetStreamProgressLog]:
    # Each resource registers its closer as soon as it exists, so a failed start leaks nothing.
    engine = create_engine(settings.database_url, application_name="deploy")
    closers.append(engine.dispose)
    nc = await connect(settings.nats_url, name="deploy")
    closers.append(lambda: drain_quietly(nc))
    js = nc.jetstream()
    # DEPLOY first: an older DEPLOY stream captured deploy.> and must let go of deploy.progress.> first.
    await ensure_stream(js, name=STREAM, subjects=SUBJECTS)
    await ensure_progress_stream(js)
    progress = JetStreamProgressLog(js)
    sessions = create_session_factory(engine)
    agents = AgentsCommands(
        addr=settings.agents_addr, principal_key=settings.principal_key, timeout=settings.agents_timeout
    )
    closers.append(agents.close)
    deps = Deps(
        sessions=sessions,
        reads=create_read_session_factory(engine),
        clock=clock,
        events=OutboxEvents(),
        agents=agents,
        env_kek=env_key(settings),
        progress=progress,
        hook_min_interval_seconds=settings.hook_min_interval_seconds,
    )
    relay = OutboxRelay(session_factory=sessions, table=outbox, js=js)
    relay.start()
    consumer = ServerEventsConsumer(js, ServerProjection(deps), durable=settings.servers_durable)
    consumer.start()
    commands = CommandEventsConsumer(js, DeploymentService(deps), durable=settings.commands_durable)
    commands.start()
    results = RouteResultsConsumer(js, DomainService(deps), durable=settings.domains_durable)
    results.start()
    # Closers run in reverse: the loops stop before NATS and PostgreSQL close.
    closers += [relay.stop, consumer.stop, commands.stop, results.stop]
    return deps, engine, progress


async def start(settings: Settings, *, port: int | None = None, clock: Clock | None = None) -> DeployServer:
    """Start the outbox relay and the agents server-events consumer, and serve gRPC.

    Args:
        settings: The service configuration.
        port: Overrides ``settings.grpc_port`` (0 picks a free port).
        clock: The domain's notion of now; tests pass a controllable one.

    Returns:
        The running server. It does not migrate: call ``migrate`` first.
    """
    closers: list[Closer] = []
    try:
        deps, engine, progress = await _build(settings, clock or utcnow, closers)
        running = await start_server(
            name="deploy",
            servicers=[(add_to_server, DeployServicer(_services(deps, progress)))],
            service_names=[SERVICE_NAME],
            principal_key=settings.principal_key,
            host=settings.grpc_host,
            port=settings.grpc_port if port is None else port,
        )
    except BaseException:
        await close_all(closers[::-1], service="deploy")
        raise
    return DeployServer(running=running, deps=deps, engine=engine, progress=progress, closers=closers[::-1])
