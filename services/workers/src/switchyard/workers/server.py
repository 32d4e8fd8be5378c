"""Composition root: wires PostgreSQL, Redis, NATS, the domain services and the gRPC server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

import nats.aio.client
import nats.js
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from switchyard import signing
from switchyard.bus import OutboxRelay, connect, drain_quietly, ensure_stream
from switchyard.db.engine import create_engine, create_read_session_factory, create_session_factory
from switchyard.db.migrations import upgrade
from switchyard.db.redis import create_redis
from switchyard.grpckit.handle import Closer, ServiceHandle, close_all
from switchyard.grpckit.periodic import Periodic
from switchyard.grpckit.server import start_server
from switchyard.obs import get_logger
from switchyard.workers.config import Settings
from switchyard.workers.db.base import SCHEMA
from switchyard.workers.db.models import outbox
from switchyard.workers.domain.common import Clock, utcnow
from switchyard.workers.domain.context import Deps, Policy
from switchyard.workers.domain.sessions.reconcile import reconcile_queue
from switchyard.workers.domain.tokens.issuer import RuntimeTokenIssuer
from switchyard.workers.domain.tokens.repository import ensure_signing_key, load_keys
from switchyard.workers.events import STREAM, SUBJECTS, OutboxEvents
from switchyard.workers.files_store import RedisFileLocks
from switchyard.workers.inbox_store import RedisInbox
from switchyard.workers.mutation_events import MutationEventsConsumer
from switchyard.workers.mutation_flags import RedisMutationFlags
from switchyard.workers.rotation_feed import NatsRotationFeed
from switchyard.workers.rpc import SERVICE_NAME, Services, WorkersServicer, add_to_server
from switchyard.workers.store import RedisFleet, RedisLocks, RedisQueue
from switchyard.workers.watchers_store import RedisWatchers

MIGRATIONS = Path(__file__).parent / "db" / "migrations"
log = get_logger(__name__)

SessionFactory = async_sessionmaker[AsyncSession]
JetStream = nats.js.JetStreamContext
# The HKDF label of workers' KEK: changing it would orphan every stored signing key.
_KEK_INFO = b"switchyard-workers/signing-key-encryption/v1"


@dataclass(kw_only=True)
class WorkersServer(ServiceHandle):
    """A running workers service and everything it must close on the way out.

    Attributes:
        running: The gRPC server.
        deps: The collaborators the domain services were built with.
        engine: The PostgreSQL engine (tests attach statement counters to it).
    """

    deps: Deps
    engine: AsyncEngine


def key_encryption_key(settings: Settings) -> bytes:
    """The AES-256 key that protects signing keys: configured, or derived from the principal key."""
    return signing.resolve_kek(
        settings.key_encryption_key, principal_key=settings.principal_key, info=_KEK_INFO
    )


async def migrate(settings: Settings) -> None:
    """Apply workers' pending migrations (safe to run from several processes at once)."""
    await upgrade(url=settings.database_url, script_location=MIGRATIONS, schema=SCHEMA)


async def _connect(
    settings: Settings, closers: list[Closer]
) -> tuple[AsyncEngine, Redis, JetStream, NatsRotationFeed]:
    # Each resource registers its closer as soon as it exists, so a failed start leaks nothing.
    engine = create_engine(settings.database_url, application_name="workers")
    closers.append(engine.dispose)
    redis: Redis = create_redis(settings.redis_url)
    closers.append(redis.aclose)
    nc = await connect(settings.nats_url, name="workers")
    closers.append(lambda: drain_quietly(nc))
    js = nc.jetstream()
    await ensure_stream(js, name=STREAM, subjects=SUBJECTS)
    # One subscription per replica for every rotation watcher it serves; it stops before NATS drains.
    rotations = NatsRotationFeed(nc, js)
    await rotations.start()
    closers.append(rotations.stop)
    return engine, redis, js, rotations


async def _issuer(sessions: SessionFactory, *, kek: bytes, clock: Clock, ttl: int) -> RuntimeTokenIssuer:
    async with sessions() as s, s.begin():
        await ensure_signing_key(s, kek=kek, now=clock())
        keys = await load_keys(s, kek=kek)
    return RuntimeTokenIssuer(keys=keys, clock=clock, ttl=timedelta(seconds=ttl))


def _policy(settings: Settings) -> Policy:
    return Policy(
        worker_ttl_seconds=settings.worker_ttl_seconds,
        stale_after_seconds=settings.stale_after_seconds,
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
        poll_interval_ms=settings.poll_interval_ms,
        issue_lock_ttl_seconds=settings.issue_lock_ttl_seconds,
        routing_enabled=settings.routing_selector_enabled,
        watch_keepalive_seconds=settings.credential_keepalive_seconds,
        watch_refresh_seconds=settings.credential_watcher_refresh_seconds,
        watch_ttl_seconds=settings.credential_watcher_ttl_seconds,
    )


async def start(settings: Settings, *, port: int | None = None, clock: Clock | None = None) -> WorkersServer:
    """Ensure a signing key, start the outbox relay and serve gRPC.

    Args:
        settings: The service configuration.
        port: Overrides ``settings.grpc_port`` (0 picks a free port).
        clock: The domain's notion of now; tests pass a controllable one.

    Returns:
        The running server. It does not migrate: call ``migrate`` first.
    """
    now = clock or utcnow
    closers: list[Closer] = []
    try:
        engine, redis, js, rotations = await _connect(settings, closers)
        sessions = create_session_factory(engine)
        kek = key_encryption_key(settings)
        deps = Deps(
            sessions=sessions,
            reads=create_read_session_factory(engine),
            clock=now,
            tokens=await _issuer(sessions, kek=kek, clock=now, ttl=settings.runtime_token_ttl_seconds),
            events=OutboxEvents(),
            fleet=RedisFleet(redis),
            queue=RedisQueue(redis),
            locks=RedisLocks(redis),
            inbox=RedisInbox(redis),
            files=RedisFileLocks(redis),
            flags=RedisMutationFlags(redis),
            policy=_policy(settings),
            kek=kek,
            rotations=rotations,
            watchers=RedisWatchers(redis),
        )
        services = Services.build(deps)
        relay = OutboxRelay(session_factory=sessions, table=outbox, js=js)
        relay.start()
        # Closers run in reverse: the relay and the consumer stop before NATS and PostgreSQL close.
        closers.append(relay.stop)
        consumer = MutationEventsConsumer(js, services.mutation_tracking)
        consumer.start()
        closers.append(consumer.stop)
        reconciler = Periodic(
            "workers-queue-reconcile",
            partial(reconcile_queue, deps, grace_seconds=settings.reconcile_grace_seconds),
            settings.reconcile_interval_seconds,
        )
        reconciler.start()
        closers.append(reconciler.stop)
        running = await start_server(
            name="workers",
            servicers=[(add_to_server, WorkersServicer(services))],
            service_names=[SERVICE_NAME],
            principal_key=settings.principal_key,
            host=settings.grpc_host,
            port=settings.grpc_port if port is None else port,
        )
    except BaseException:
        await close_all(closers[::-1], service="workers")
        raise
    return WorkersServer(running=running, deps=deps, engine=engine, closers=closers[::-1])
