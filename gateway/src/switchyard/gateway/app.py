"""Composition root of the gateway: ``create_app(settings)`` wires routes, auth, errors and OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import grpc
from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import Scope
from redis.asyncio import Redis
from switchyard.gateway import health
from switchyard.gateway.auth.callers import Authenticator
from switchyard.gateway.auth.m2m_tokens import m2m_token_verifier
from switchyard.gateway.auth.runtime_tokens import WorkerClaims, runtime_token_verifier
from switchyard.gateway.auth.tokens import JwtVerifier, TokenVerifier
from switchyard.gateway.clients.agents import AgentsClient
from switchyard.gateway.clients.deploy import DeployClient
from switchyard.gateway.clients.identity import IdentityClient
from switchyard.gateway.clients.ingest import IngestClient
from switchyard.gateway.clients.ingest_door import DsnKeys, IngestBus
from switchyard.gateway.clients.mutations import MutationsClient
from switchyard.gateway.clients.workers import WorkersClient
from switchyard.gateway.config import Settings
from switchyard.gateway.domain.analytics import capture as posthog
from switchyard.gateway.domain.analytics import controllers as analytics
from switchyard.gateway.domain.analytics import metrics as service_metrics
from switchyard.gateway.domain.api_keys import controllers as api_keys
from switchyard.gateway.domain.auth import controllers as auth
from switchyard.gateway.domain.credentials import controllers as credentials
from switchyard.gateway.domain.deploy import ROUTES as DEPLOY_ROUTES
from switchyard.gateway.domain.deps import GATEWAY
from switchyard.gateway.domain.domains import controllers as domains
from switchyard.gateway.domain.enrolment import controllers as enrolment
from switchyard.gateway.domain.ingest import ROUTES as INGEST_ROUTES
from switchyard.gateway.domain.members import controllers as members
from switchyard.gateway.domain.messages import controllers as messages
from switchyard.gateway.domain.mutations import controllers as mutations
from switchyard.gateway.domain.oauth import controllers as oauth
from switchyard.gateway.domain.org_keys import controllers as org_keys
from switchyard.gateway.domain.otlp import controllers as otlp_door
from switchyard.gateway.domain.otlp import queries as telemetry_queries
from switchyard.gateway.domain.public import controllers as public
from switchyard.gateway.domain.recovery import controllers as recovery
from switchyard.gateway.domain.routing import controllers as routing
from switchyard.gateway.domain.servers import controllers as servers
from switchyard.gateway.domain.servers import operator as server_operator
from switchyard.gateway.domain.sessions import controllers as sessions
from switchyard.gateway.domain.system import controllers as system
from switchyard.gateway.domain.webhooks import controllers as webhooks
from switchyard.gateway.domain.workers import controllers as workers
from switchyard.gateway.errors import EXCEPTION_HANDLERS
from switchyard.gateway.ingest_limiter import IngestLimiter
from switchyard.gateway.readcache import ReadCache, epoch_bump_middleware
from switchyard.gateway.request_id import (
    API_VERSION_HEADER,
    REQUEST_ID_HEADER,
    make_before_send,
    request_id_of,
)
from switchyard.gateway.state import Gateway
from switchyard.grpckit.client import create_channel
from switchyard.grpckit.principal import PrincipalSigner
from switchyard.obs import request_id_var, settle_heap

ROUTES: list[Any] = [
    *auth.ROUTES,
    *members.ROUTES,
    *messages.ROUTES,
    *api_keys.ROUTES,
    *org_keys.ROUTES,
    *oauth.ROUTES,
    *workers.ROUTES,
    *sessions.ROUTES,
    *mutations.ROUTES,
    *public.ROUTES,
    *routing.ROUTES,
    *recovery.ROUTES,
    *credentials.ROUTES,
    *servers.ROUTES,
    *DEPLOY_ROUTES,
    *webhooks.ROUTES,
    *enrolment.ROUTES,
    *system.ROUTES,
    *health.ROUTES,
    *server_operator.ROUTES,
    *domains.ROUTES,
    *INGEST_ROUTES,
    *telemetry_queries.ROUTES,
    *otlp_door.ROUTES,
    *posthog.ROUTES,
    *analytics.ROUTES,
    *service_metrics.ROUTES,
]


def _lifespan(settings: Settings) -> Any:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        redis = Redis.from_url(settings.redis_url, health_check_interval=30)
        channel = create_channel(settings.identity_addr)
        # One signer for every client: a request calling two services signs its principal once.
        signer = PrincipalSigner(settings.principal_key)
        identity = IdentityClient(channel, signer=signer, timeout=settings.rpc_timeout_seconds)
        verifier = TokenVerifier(
            lambda: identity.get_jwks(request_id="gateway-jwks"),
            min_refresh_seconds=settings.jwks_min_refresh_seconds,
        )
        m2m_tokens = m2m_token_verifier(
            lambda: identity.get_jwks(request_id="gateway-jwks"),
            min_refresh_seconds=settings.jwks_min_refresh_seconds,
        )
        # Not fatal when identity is still starting: the first token with an unknown kid refetches.
        await verifier.refresh()
        authenticator = Authenticator(
            redis=redis, identity=identity, verifier=verifier, cache_seconds=settings.auth_cache_seconds
        )
        reads = ReadCache(enabled=settings.read_cache, max_age_seconds=settings.auth_cache_seconds)
        workers_channel, workers, runtime_tokens, mutations_channel, mutations = await _fleet_clients(
            settings, signer
        )
        agents_channel = create_channel(settings.agents_addr)
        agents = AgentsClient(agents_channel, signer=signer, timeout=settings.rpc_timeout_seconds)
        deploy_channel = create_channel(settings.deploy_addr)
        deploy = DeployClient(deploy_channel, signer=signer, timeout=settings.rpc_timeout_seconds)
        ingest_channel = create_channel(settings.ingest_addr)
        ingest = IngestClient(ingest_channel, signer=signer, timeout=settings.rpc_timeout_seconds)
        app.state.gateway = Gateway(
            settings,
            redis,
            channel,
            identity,
            authenticator,
            reads,
            workers_channel=workers_channel,
            workers=workers,
            runtime_tokens=runtime_tokens,
            mutations_channel=mutations_channel,
            mutations=mutations,
            m2m_tokens=m2m_tokens,
            agents_channel=agents_channel,
            agents=agents,
            deploy_channel=deploy_channel,
            deploy=deploy,
            ingest_channel=ingest_channel,
            ingest=ingest,
            dsn_keys=DsnKeys(ingest),
            ingest_bus=IngestBus(settings.nats_url),
            ingest_limiter=IngestLimiter(redis),
        )
        try:
            yield
        finally:
            await channel.close()
            await workers_channel.close()
            await mutations_channel.close()
            await agents_channel.close()
            await deploy_channel.close()
            await app.state.gateway.ingest_limiter.close()
            await app.state.gateway.ingest_bus.close()
            await ingest_channel.close()
            await redis.aclose()

    return lifespan


async def _fleet_clients(
    settings: Settings, signer: PrincipalSigner
) -> tuple[grpc.aio.Channel, WorkersClient, JwtVerifier[WorkerClaims], grpc.aio.Channel, MutationsClient]:
    # The worker surface: workers (and the keys of its runtime JWTs) and mutations.
    workers_channel = create_channel(settings.workers_addr)
    workers = WorkersClient(workers_channel, signer=signer, timeout=settings.rpc_timeout_seconds)
    runtime_tokens = runtime_token_verifier(
        lambda: workers.get_jwks(request_id="gateway-jwks"),
        min_refresh_seconds=settings.jwks_min_refresh_seconds,
    )
    # Not fatal when workers is still starting: the first runtime token with an unknown kid refetches.
    await runtime_tokens.refresh()
    mutations_channel = create_channel(settings.mutations_addr)
    mutations = MutationsClient(mutations_channel, signer=signer, timeout=settings.rpc_timeout_seconds)
    return workers_channel, workers, runtime_tokens, mutations_channel, mutations


def _redis_of(scope: Scope) -> Redis:
    return cast("Gateway", scope["app"].state.gateway).redis


async def _bind_request_id(request: Request[Any, Any, Any]) -> None:
    # Every log line of this request carries its id.
    request_id_var.set(request_id_of(request.scope))


def _openapi(settings: Settings) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Switchyard API",
        version=settings.api_version,
        path="/api/docs",
        render_plugins=[SwaggerRenderPlugin(path="/")],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="JWT access token or API key (lsk_..., rsk_live_...)",
                )
            }
        ),
    )


def create_app(settings: Settings, *, settle_heap_on_startup: bool = False) -> Litestar:
    """Build the gateway application.

    Args:
        settings: The gateway's configuration.
        settle_heap_on_startup: Freeze the startup heap once serving (``obs.settle_heap``); for the
            server process only, not for apps built inside a test process.

    Returns:
        A Litestar app whose lifespan opens Redis and the identity channel.
    """
    cors = CORSConfig(
        allow_origins=list(settings.cors_origins),
        allow_headers=["Authorization", "Content-Type", "X-Tenant-ID", REQUEST_ID_HEADER],
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        expose_headers=[REQUEST_ID_HEADER, API_VERSION_HEADER],
    )
    return Litestar(
        route_handlers=ROUTES,
        dependencies=GATEWAY,
        lifespan=[_lifespan(settings)],
        on_startup=[settle_heap] if settle_heap_on_startup else [],
        middleware=[epoch_bump_middleware(_redis_of)],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=_bind_request_id,
        before_send=[make_before_send(settings.api_version)],
        cors_config=cors if settings.cors_origins else None,
        openapi_config=_openapi(settings),
        request_max_body_size=settings.max_body_bytes,
        logging_config=None,
    )
