"""Composition root: PostgreSQL, Redis, NATS, the internal AgentsService and the public agent.v1 port."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from switchyard.agents.config import Settings
from switchyard.agents.db.base import SCHEMA
from switchyard.agents.db.models import outbox
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


@dataclass(kw_only=True)
class AgentsServer(ServiceHandle):
    """A running agents service.

    Attributes:
        running: The internal gRPC server (AgentsService).
        engine: The PostgreSQL engine.
    """

    engine: AsyncEngine


async def migrate(settings: Settings) -> None:
    """Apply the agents schema's pending migrations (safe from several processes at once)."""
    await upgrade(url=settings.database_url, script_location=MIGRATIONS, schema=SCHEMA)


async def start(settings: Settings, *, port: int | None = None) -> AgentsServer:
    """Connect, start the outbox relay and serve the internal gRPC API.

    Args:
        settings: The service configuration.
        port: Overrides ``settings.grpc_port`` (0 picks a free port).

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
        relay = OutboxRelay(session_factory=create_session_factory(engine), table=outbox, js=js)
        relay.start()
        closers.append(relay.stop)
        running = await start_server(
            name="agents",
            servicers=[(add_to_server, AgentsServicer())],
            service_names=[SERVICE_NAME],
            principal_key=settings.principal_key,
            host=settings.grpc_host,
            port=settings.grpc_port if port is None else port,
        )
    except BaseException:
        await close_all(closers[::-1], service="agents")
        raise
    return AgentsServer(running=running, engine=engine, closers=closers[::-1])
