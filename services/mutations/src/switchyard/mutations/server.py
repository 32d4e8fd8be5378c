"""Composition root: wires PostgreSQL, Redis, NATS, the workers client, the domain and the gRPC server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from switchyard.bus import OutboxRelay, connect, drain_quietly, ensure_stream
from switchyard.db.engine import create_engine, create_read_session_factory, create_session_factory
from switchyard.db.migrations import upgrade
from switchyard.db.redis import create_redis
from switchyard.grpckit.handle import Closer, ServiceHandle, close_all
from switchyard.grpckit.periodic import Periodic
from switchyard.grpckit.server import start_server
from switchyard.mutations.config import Settings
from switchyard.mutations.db.base import SCHEMA
from switchyard.mutations.db.models import outbox
from switchyard.mutations.domain.common import Clock, utcnow
from switchyard.mutations.domain.context import Deps
from switchyard.mutations.domain.mutations.service import MutationService
from switchyard.mutations.domain.ports import HostDirectory
from switchyard.mutations.events import STREAM, SUBJECTS, OutboxEvents
from switchyard.mutations.hosts import WorkersHosts
from switchyard.mutations.markers import RedisMarkers
from switchyard.mutations.rpc import SERVICE_NAME, MutationsServicer, add_to_server
from switchyard.obs import get_logger

MIGRATIONS = Path(__file__).parent / "db" / "migrations"
log = get_logger(__name__)


@dataclass(kw_only=True)
class MutationsServer(ServiceHandle):
    """A running mutations service and everything it must close on the way out.

    Attributes:
        running: The gRPC server.
        service: The domain service (tests use it to run a marker repair pass on demand).
        engine: The PostgreSQL engine (tests listen on it to prove what a call sends).
    """

    service: MutationService
    engine: AsyncEngine


async def migrate(settings: Settings) -> None:
    """Apply the mutations schema's pending migrations (safe to run from several processes at once)."""
    await upgrade(url=settings.database_url, script_location=MIGRATIONS, schema=SCHEMA)


async def _build(
    settings: Settings, clock: Clock, hosts: HostDirectory | None, closers: list[Closer]
) -> tuple[MutationService, AsyncEngine, OutboxRelay]:
    # Each resource registers its closer as soon as it exists, so a failed start leaks nothing.
    engine = create_engine(settings.database_url, application_name="mutations")
    closers.append(engine.dispose)
    cache: Redis = create_redis(settings.redis_url)
    closers.append(cache.aclose)
    nc = await connect(settings.nats_url, name="mutations")
    closers.append(lambda: drain_quietly(nc))
    js = nc.jetstream()
    await ensure_stream(js, name=STREAM, subjects=SUBJECTS)
    if hosts is None:
        workers = WorkersHosts(
            addr=settings.workers_addr,
            principal_key=settings.principal_key,
            timeout=settings.workers_timeout_seconds,
        )
        closers.append(workers.close)
        hosts = workers
    sessions = create_session_factory(engine)
    deps = Deps(
        sessions=sessions,
        reads=create_read_session_factory(engine),
        clock=clock,
        events=OutboxEvents(),
        hosts=hosts,
        markers=RedisMarkers(cache),
    )
    return MutationService(deps), engine, OutboxRelay(session_factory=sessions, table=outbox, js=js)


async def start(
    settings: Settings,
    *,
    port: int | None = None,
    clock: Clock | None = None,
    hosts: HostDirectory | None = None,
) -> MutationsServer:
    """Start the outbox relay and the marker repair loop, and serve gRPC.

    Args:
        settings: The service configuration.
        port: Overrides ``settings.grpc_port`` (0 picks a free port).
        clock: The domain's notion of now; tests pass a controllable one.
        hosts: Overrides the workers client built from ``settings.workers_addr``.

    Returns:
        The running server. It does not migrate: call ``migrate`` first.
    """
    closers: list[Closer] = []
    try:
        service, engine, relay = await _build(settings, clock or utcnow, hosts, closers)
        relay.start()
        repair = Periodic("mutations-marker-repair", service.repair_markers, settings.repair_interval_seconds)
        repair.start()
        # Closers run in reverse: the loops stop before NATS and PostgreSQL close.
        closers += [relay.stop, repair.stop]
        running = await start_server(
            name="mutations",
            servicers=[(add_to_server, MutationsServicer(service))],
            service_names=[SERVICE_NAME],
            principal_key=settings.principal_key,
            host=settings.grpc_host,
            port=settings.grpc_port if port is None else port,
        )
    except BaseException:
        await close_all(closers[::-1], service="mutations")
        raise
    return MutationsServer(running=running, service=service, engine=engine, closers=closers[::-1])
