"""Deploy settings: parsed once from prefixed env vars into a frozen object passed down."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from switchyard.grpckit.config import env_field as _env
from switchyard.grpckit.config import key_bytes
from switchyard.grpckit.config import opt_field as _opt


class Settings(BaseSettings):
    """Everything the deploy service reads from its environment.

    Attributes:
        database_url: PostgreSQL URL (``DEPLOY_DATABASE_URL`` or ``DATABASE_URL``).
        redis_url: Redis URL (``DEPLOY_REDIS_URL`` or ``REDIS_URL``); reserved for deployments.
        nats_url: NATS URL (``DEPLOY_NATS_URL`` or ``NATS_URL``).
        principal_key: Key shared with the gateway to verify principals (``SWITCHYARD_PRINCIPAL_KEY``).
        env_key: AES-256 key that encrypts env var values at rest (``DEPLOY_ENV_KEY``, hex or text of at
            least 32 bytes); unset derives one from the principal key with HKDF. Changing it makes every
            stored value unreadable.
        grpc_host: Interface the gRPC server binds (``DEPLOY_GRPC_HOST``).
        grpc_port: gRPC port (``DEPLOY_GRPC_PORT``).
        servers_durable: Durable consumer name of the agents server events (``DEPLOY_SERVERS_DURABLE``);
            replicas share it, separate deployments on one NATS need their own.
        commands_durable: Durable consumer name of the agents command events (``DEPLOY_COMMANDS_DURABLE``),
            which drive deployments; replicas share it.
        hook_min_interval_seconds: A deploy hook deploys at most once per this many seconds
            (``DEPLOY_HOOK_MIN_INTERVAL_SECONDS``).
        domains_durable: Durable consumer name of ``agents.command.finished`` that settles domain route
            commands (``DEPLOY_DOMAINS_DURABLE``).
        agents_addr: The agents service's internal gRPC address(es), comma-separated for replicas
            (``DEPLOY_AGENTS_ADDR``); deploy sends every server command through it.
        agents_timeout: Deadline in seconds of each call to the agents service (``DEPLOY_AGENTS_TIMEOUT``).
        otel_endpoint: OTLP endpoint; tracing is off when unset (``OTEL_EXPORTER_OTLP_ENDPOINT``).
    """

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    database_url: str = _env("DEPLOY_DATABASE_URL", "DATABASE_URL", "database_url")
    redis_url: str = _env("DEPLOY_REDIS_URL", "REDIS_URL", "redis_url")
    nats_url: str = _env("DEPLOY_NATS_URL", "NATS_URL", "nats_url")
    principal_key: bytes = _env("SWITCHYARD_PRINCIPAL_KEY", "principal_key", secret=True)
    env_key: bytes | None = Field(
        None, validation_alias=AliasChoices("DEPLOY_ENV_KEY", "env_key"), repr=False
    )
    grpc_host: str = _opt("127.0.0.1", "DEPLOY_GRPC_HOST", "grpc_host")
    grpc_port: int = _opt(50054, "DEPLOY_GRPC_PORT", "grpc_port")
    servers_durable: str = _opt("deploy.servers", "DEPLOY_SERVERS_DURABLE", "servers_durable", min_length=1)
    commands_durable: str = _opt(
        "deploy.commands", "DEPLOY_COMMANDS_DURABLE", "commands_durable", min_length=1
    )
    hook_min_interval_seconds: float = _opt(
        10.0, "DEPLOY_HOOK_MIN_INTERVAL_SECONDS", "hook_min_interval_seconds", ge=0
    )
    domains_durable: str = _opt("deploy.domains", "DEPLOY_DOMAINS_DURABLE", "domains_durable", min_length=1)
    agents_addr: str = _opt("127.0.0.1:50055", "DEPLOY_AGENTS_ADDR", "agents_addr", min_length=1)
    agents_timeout: float = _opt(10.0, "DEPLOY_AGENTS_TIMEOUT", "agents_timeout", gt=0, le=120)
    otel_endpoint: str | None = _opt(None, "OTEL_EXPORTER_OTLP_ENDPOINT", "otel_endpoint")

    @field_validator("principal_key", "env_key", mode="before")
    @classmethod
    def _parse_key(cls, value: Any) -> Any:
        # Env vars arrive as text (hex or raw); tests pass bytes. Both must be >= 32 bytes.
        return key_bytes(value)
