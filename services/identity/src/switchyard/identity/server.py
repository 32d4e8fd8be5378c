"""Composition root: wires PostgreSQL, Redis, NATS, the domain services and the gRPC server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import nats.aio.client
import nats.js
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard import signing
from switchyard.bus import OutboxRelay, connect, drain_quietly, ensure_stream
from switchyard.db.engine import create_engine, create_read_session_factory, create_session_factory
from switchyard.db.migrations import upgrade
from switchyard.db.redis import create_redis
from switchyard.grpckit.handle import Closer, ServiceHandle, close_all
from switchyard.grpckit.server import start_server
from switchyard.identity.config import Settings
from switchyard.identity.db.base import SCHEMA
from switchyard.identity.db.models import outbox
from switchyard.identity.domain.common import Clock, utcnow
from switchyard.identity.domain.context import Deps
from switchyard.identity.domain.tenants.bootstrap import BootstrapResult, bootstrap
from switchyard.identity.domain.tokens.issuer import TokenIssuer
from switchyard.identity.domain.tokens.repository import load_keys
from switchyard.identity.events import STREAM, SUBJECTS, OutboxEvents
from switchyard.identity.limits import RedisRateLimiter
from switchyard.identity.mail import SmtpMailer
from switchyard.identity.rpc import SERVICE_NAME, IdentityServicer, Services, add_to_server
from switchyard.obs import get_logger

MIGRATIONS = Path(__file__).parent / "db" / "migrations"
log = get_logger(__name__)

SessionFactory = async_sessionmaker[AsyncSession]
JetStream = nats.js.JetStreamContext
# The HKDF label of identity's KEK: changing it would orphan every stored signing key.
_KEK_INFO = b"switchyard-identity/signing-key-encryption/v1"


@dataclass(kw_only=True)
class IdentityServer(ServiceHandle):
    """A running identity service and everything it must close on the way out.

    Attributes:
        running: The gRPC server.
        deps: The collaborators the domain services were built with.
        bootstrap: What this start created (root tenant, generated root password).
    """

    deps: Deps
    bootstrap: BootstrapResult


def key_encryption_key(settings: Settings) -> bytes:
    """The AES-256 key that protects signing keys: configured, or derived from the principal key."""
    return signing.resolve_kek(
        settings.key_encryption_key, principal_key=settings.principal_key, info=_KEK_INFO
    )


async def migrate(settings: Settings) -> None:
    """Apply identity's pending migrations (safe to run from several processes at once)."""
    await upgrade(url=settings.database_url, script_location=MIGRATIONS, schema=SCHEMA)


async def _connect(
    settings: Settings, closers: list[Closer]
) -> tuple[SessionFactory, SessionFactory, Redis, JetStream]:
    # Each resource registers its closer as soon as it exists, so a failed start leaks nothing.
    engine = create_engine(settings.database_url, application_name="identity")
    closers.append(engine.dispose)
    cache: Redis = create_redis(settings.redis_url)
    closers.append(cache.aclose)
    nc = await connect(settings.nats_url, name="identity")
    closers.append(lambda: drain_quietly(nc))
    js = nc.jetstream()
    await ensure_stream(js, name=STREAM, subjects=SUBJECTS)
    return create_session_factory(engine), create_read_session_factory(engine), cache, js


async def _deps(
    settings: Settings,
    *,
    sessions: SessionFactory,
    reads: SessionFactory,
    cache: Redis,
    clock: Clock,
    kek: bytes,
    events: OutboxEvents,
) -> Deps:
    async with sessions() as s:
        keys = await load_keys(s, kek=kek)
    issuer = TokenIssuer(
        keys=keys,
        clock=clock,
        access_ttl=timedelta(minutes=settings.access_ttl_minutes),
        refresh_ttl=timedelta(days=settings.refresh_ttl_days),
        m2m_ttl=timedelta(seconds=settings.m2m_token_ttl_seconds),
    )
    return Deps(
        sessions=sessions,
        reads=reads,
        clock=clock,
        tokens=issuer,
        events=events,
        mailer=SmtpMailer(host=settings.smtp_host, port=settings.smtp_port, sender=settings.mail_from),
        limiter=RedisRateLimiter(cache),
        app_url=settings.app_url,
    )


async def start(settings: Settings, *, port: int | None = None, clock: Clock | None = None) -> IdentityServer:
    """Bootstrap (root tenant, owner, signing key), start the outbox relay and serve gRPC.

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
        sessions, reads, cache, js = await _connect(settings, closers)
        events = OutboxEvents()
        kek = key_encryption_key(settings)
        result = await bootstrap(
            sessions,
            clock=now,
            events=events,
            kek=kek,
            root_email=settings.root_email,
            root_password=settings.root_password,
            root_tenant_name=settings.root_tenant_name,
        )
        deps = await _deps(
            settings, sessions=sessions, reads=reads, cache=cache, clock=now, kek=kek, events=events
        )
        relay = OutboxRelay(session_factory=sessions, table=outbox, js=js)
        relay.start()
        # Closers run in reverse: the relay stops before NATS and PostgreSQL close.
        closers.append(relay.stop)
        running = await start_server(
            name="identity",
            servicers=[(add_to_server, IdentityServicer(Services.build(deps)))],
            service_names=[SERVICE_NAME],
            principal_key=settings.principal_key,
            host=settings.grpc_host,
            port=settings.grpc_port if port is None else port,
        )
    except BaseException:
        await close_all(closers[::-1], service="identity")
        raise
    return IdentityServer(running=running, deps=deps, bootstrap=result, closers=closers[::-1])
