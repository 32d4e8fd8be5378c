"""Composition root: wires PostgreSQL, NATS, the domain, the consumers and the gRPC server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nats.js
from sqlalchemy.ext.asyncio import AsyncEngine
from switchyard.bus import connect, drain_quietly, ensure_stream
from switchyard.db.engine import create_engine, create_read_session_factory, create_session_factory
from switchyard.db.migrations import upgrade
from switchyard.grpckit.handle import Closer, ServiceHandle, close_all
from switchyard.grpckit.server import start_server
from switchyard.ingest.config import Settings
from switchyard.ingest.consumer import SentryConsumer
from switchyard.ingest.db.base import SCHEMA
from switchyard.ingest.domain.common import Clock, utcnow
from switchyard.ingest.domain.context import Deps
from switchyard.ingest.domain.dsns.service import DsnService
from switchyard.ingest.domain.errors.groups import GroupService
from switchyard.ingest.domain.sourcemaps.service import SourceMapService
from switchyard.ingest.events import STREAM, SUBJECTS
from switchyard.ingest.rpc import SERVICE_NAME, IngestServicer, Services, add_to_server

MIGRATIONS = Path(__file__).parent / "db" / "migrations"


@dataclass(kw_only=True)
class IngestServer(ServiceHandle):
    """A running ingest service and everything it must close on the way out.

    Attributes:
        running: The gRPC server.
        deps: The collaborators the domain services were built with.
        engine: The PostgreSQL engine (tests read raw rows through it).
        js: The JetStream context (tests publish and inspect the stream through it).
        sentry: The Sentry payload consumer (``stop()`` / ``start()`` pause and resume it).
    """

    deps: Deps
    engine: AsyncEngine
    js: nats.js.JetStreamContext
    sentry: SentryConsumer


async def migrate(settings: Settings) -> None:
    """Apply the ingest schema's pending migrations (safe to run from several processes at once)."""
    await upgrade(url=settings.database_url, script_location=MIGRATIONS, schema=SCHEMA)


async def _build(
    settings: Settings, clock: Clock, closers: list[Closer]
) -> tuple[Deps, AsyncEngine, nats.js.JetStreamContext]:
    # Each resource registers its closer as soon as it exists, so a failed start leaks nothing.
    engine = create_engine(settings.database_url, application_name="ingest")
    closers.append(engine.dispose)
    nc = await connect(settings.nats_url, name="ingest")
    closers.append(lambda: drain_quietly(nc))
    js = nc.jetstream()
    await ensure_stream(js, name=STREAM, subjects=SUBJECTS)
    deps = Deps(
        sessions=create_session_factory(engine), reads=create_read_session_factory(engine), clock=clock
    )
    return deps, engine, js


def _services(deps: Deps, settings: Settings) -> Services:
    return Services(
        dsns=DsnService(deps),
        groups=GroupService(deps),
        source_maps=SourceMapService(deps, max_bytes=settings.sourcemap_max_bytes),
    )


async def start(settings: Settings, *, port: int | None = None, clock: Clock | None = None) -> IngestServer:
    """Start the consumers and serve gRPC.

    Args:
        settings: The service configuration.
        port: Overrides ``settings.grpc_port`` (0 picks a free port).
        clock: The domain's notion of now; tests pass a controllable one.

    Returns:
        The running server. It does not migrate: call ``migrate`` first.
    """
    closers: list[Closer] = []
    try:
        deps, engine, js = await _build(settings, clock or utcnow, closers)
        sentry = SentryConsumer(
            js,
            deps.sessions,
            clock=deps.clock,
            durable=settings.sentry_durable,
            batch_size=settings.batch_size,
            deliver_new=settings.sentry_deliver_new,
        )
        if settings.consume:
            await sentry.start()
        # Closers run in reverse: the consumer stops before NATS and PostgreSQL close.
        closers.append(sentry.stop)
        running = await start_server(
            name="ingest",
            servicers=[(add_to_server, IngestServicer(_services(deps, settings)))],
            service_names=[SERVICE_NAME],
            principal_key=settings.principal_key,
            host=settings.grpc_host,
            port=settings.grpc_port if port is None else port,
        )
    except BaseException:
        await close_all(closers[::-1], service="ingest")
        raise
    return IngestServer(
        running=running, deps=deps, engine=engine, js=js, sentry=sentry, closers=closers[::-1]
    )
