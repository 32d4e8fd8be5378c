"""Gateway settings: parsed once from the environment into a frozen object that is passed down."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from switchyard.grpckit.config import principal_key_from_env


class Settings(BaseSettings):
    """Everything the gateway reads from the environment (prefix ``GATEWAY_``).

    Attributes:
        identity_addr: identity gRPC address; a comma list means replicas, balanced round robin.
        workers_addr: workers gRPC address (replicas as for identity).
        mutations_addr: mutations gRPC address (replicas as for identity).
        agents_addr: agents gRPC address (replicas as for identity).
        deploy_addr: deploy gRPC address (replicas as for identity).
        ingest_addr: ingest gRPC address (replicas as for identity).
        redis_url: Redis for revocations, the auth epoch and rate limits.
        principal_key: key that signs the principal sent to services (``SWITCHYARD_PRINCIPAL_KEY``).
        api_version: value of the ``X-API-Version`` header and ``GET /api/version``.
        copyright: copyright line of ``GET /api/version``.
        rpc_timeout_seconds: deadline of every outbound gRPC call.
        auth_rate_limit_per_minute: per client IP and route on the public auth routes and invites.
        auth_cache_seconds: longest life of a cached API key, tenant role or cached read, even with an
            unchanged epoch.
        read_cache: serve GET /api/auth/me and /api/tenant/members from the epoch-tagged edge cache.
        jwks_min_refresh_seconds: an unknown ``kid`` refetches the JWKS at most this often.
        trust_proxy: take the client IP from ``X-Forwarded-For`` (only behind a proxy that sets it).
        cors_origins: allowed CORS origins (comma list); empty disables CORS.
        max_body_bytes: larger request bodies are refused with 413.
        webhook_secret_linear: HMAC-SHA256 secret of Linear webhook deliveries; unset = 404.
        webhook_secret_github: HMAC-SHA256 secret of GitHub webhook deliveries; unset = 404.
        webhook_org_linear: the org whose work Linear deliveries queue (one org per provider for now).
        webhook_org_github: the org whose work GitHub deliveries queue.
        webhook_dedupe_seconds: how long a delivery id is remembered to refuse a redelivery.
        nats_url: NATS the ingest doors publish to (``GATEWAY_NATS_URL`` or ``NATS_URL``); connected on the
            first ingest request.
        ingest_max_body_bytes: largest ingest body, compressed or not (413 above; NATS' default message
            limit is 1 MiB).
        ingest_rate_limit_per_second: ingest requests per DSN key and second, shared by replicas (429 above).
        public_url: the gateway's public base URL (``GATEWAY_PUBLIC_URL``, e.g. ``https://api.example.com``)
            that install URLs and the install script point at; empty = the request's scheme and host.
    """

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", frozen=True, populate_by_name=True)

    identity_addr: str = "127.0.0.1:50051"
    workers_addr: str = "127.0.0.1:50052"
    mutations_addr: str = "127.0.0.1:50053"
    agents_addr: str = "127.0.0.1:50055"
    deploy_addr: str = "127.0.0.1:50054"
    ingest_addr: str = "127.0.0.1:50056"
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("redis_url", "GATEWAY_REDIS_URL", "REDIS_URL"),
    )
    principal_key: bytes = Field(validation_alias=AliasChoices("principal_key", "SWITCHYARD_PRINCIPAL_KEY"))
    api_version: str = "1.00"
    copyright: str = "Copyright (c) Switchyard"
    rpc_timeout_seconds: float = 5.0
    auth_rate_limit_per_minute: int = 20
    auth_cache_seconds: float = 30.0
    read_cache: bool = True
    jwks_min_refresh_seconds: float = 30.0
    trust_proxy: bool = False
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    max_body_bytes: int = 1024 * 1024
    webhook_secret_linear: SecretStr | None = None
    webhook_secret_github: SecretStr | None = None
    webhook_org_linear: str = ""
    webhook_org_github: str = ""
    webhook_dedupe_seconds: int = 7 * 24 * 3600
    public_url: str = ""
    nats_url: str = Field(
        default="nats://127.0.0.1:4222",
        validation_alias=AliasChoices("nats_url", "GATEWAY_NATS_URL", "NATS_URL"),
    )
    ingest_max_body_bytes: int = 1_000_000
    ingest_rate_limit_per_second: int = 1000

    @field_validator("principal_key", mode="before")
    @classmethod
    def _parse_principal_key(cls, value: Any) -> bytes:
        # The env var is text (hex or raw); callers composing in code may already hold bytes.
        if isinstance(value, bytes):
            if len(value) < 32:
                raise ValueError("the principal key must be at least 32 bytes")
            return value
        return principal_key_from_env(str(value))

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return tuple(value)
