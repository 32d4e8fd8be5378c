"""The gateway's long-lived parts, built once in the app lifespan and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

# Imported at runtime, not under TYPE_CHECKING: Litestar resolves these hints to inject ``Gateway``.
import grpc
from litestar import Request
from litestar.connection import ASGIConnection
from redis.asyncio import Redis
from switchyard.gateway.auth.callers import Authenticator
from switchyard.gateway.auth.m2m_tokens import M2mClaims
from switchyard.gateway.auth.runtime_tokens import WorkerClaims
from switchyard.gateway.auth.tokens import JwtVerifier
from switchyard.gateway.clients.agents import AgentsClient
from switchyard.gateway.clients.deploy import DeployClient
from switchyard.gateway.clients.identity import IdentityClient
from switchyard.gateway.clients.ingest import IngestClient
from switchyard.gateway.clients.ingest_door import DsnKeys, IngestBus
from switchyard.gateway.clients.mutations import MutationsClient
from switchyard.gateway.clients.workers import WorkersClient
from switchyard.gateway.config import Settings
from switchyard.gateway.ingest_limiter import IngestLimiter
from switchyard.gateway.readcache import ReadCache


@dataclass(slots=True)
class Gateway:
    """Clients and caches of one gateway process."""

    settings: Settings
    redis: Redis
    identity_channel: grpc.aio.Channel
    identity: IdentityClient
    authenticator: Authenticator
    reads: ReadCache
    workers_channel: grpc.aio.Channel
    workers: WorkersClient
    runtime_tokens: JwtVerifier[WorkerClaims]
    mutations_channel: grpc.aio.Channel
    mutations: MutationsClient
    m2m_tokens: JwtVerifier[M2mClaims]
    agents_channel: grpc.aio.Channel
    agents: AgentsClient
    deploy_channel: grpc.aio.Channel
    deploy: DeployClient
    ingest_channel: grpc.aio.Channel
    ingest: IngestClient
    dsn_keys: DsnKeys
    ingest_bus: IngestBus
    ingest_limiter: IngestLimiter


def gateway_of(connection: Request[Any, Any, Any] | ASGIConnection[Any, Any, Any, Any]) -> Gateway:
    """The ``Gateway`` of the app serving ``connection``."""
    return cast("Gateway", connection.app.state.gateway)
