"""Agents settings: parsed once from prefixed env vars into a frozen object passed down."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from switchyard.grpckit.config import env_field as _env
from switchyard.grpckit.config import key_bytes
from switchyard.grpckit.config import opt_field as _opt


class Settings(BaseSettings):
    """Everything the agents service reads from its environment.

    Attributes:
        database_url: PostgreSQL URL (``AGENTS_DATABASE_URL`` or ``DATABASE_URL``).
        redis_url: Redis URL (``AGENTS_REDIS_URL`` or ``REDIS_URL``).
        nats_url: NATS URL (``AGENTS_NATS_URL`` or ``NATS_URL``).
        principal_key: Key shared with the gateway to verify principals (``SWITCHYARD_PRINCIPAL_KEY``).
        grpc_host: Interface the internal gRPC server binds (``AGENTS_GRPC_HOST``).
        grpc_port: Internal gRPC port, ``AgentsService`` (``AGENTS_GRPC_PORT``).
        agent_grpc_host: Interface the public ``agent.v1.AgentService`` binds (``AGENTS_AGENT_GRPC_HOST``).
        agent_grpc_port: Public port real agents dial (``AGENTS_AGENT_GRPC_PORT``).
        agent_grpc_address: The address handed to agents at registration as their BACKEND_GRPC_ADDR
            (``AGENTS_AGENT_GRPC_ADDRESS``; default ``<agent_grpc_host>:<agent_grpc_port>``).
        install_token_key: HMAC key of install tokens (``AGENTS_INSTALL_TOKEN_KEY``; derived from the
            principal key when unset).
        install_token_ttl_seconds: Default install-token lifetime (``AGENTS_INSTALL_TOKEN_TTL_SECONDS``).
        refresh_token_ttl_seconds: Refresh-token lifetime (``AGENTS_REFRESH_TOKEN_TTL_SECONDS``).
        heartbeat_interval_seconds: Interval told to agents in HeartbeatResponse
            (``AGENTS_HEARTBEAT_INTERVAL_SECONDS``).
        presence_ttl_seconds: A server is online while a heartbeat is younger than this
            (``AGENTS_PRESENCE_TTL_SECONDS``).
        command_secret_key: AES-256 key sealing IssueCommand's ``secret_payload_json`` at rest
            (``AGENTS_COMMAND_SECRET_KEY``, hex or text >= 32 bytes; derived from the principal key if unset).
        routes_durable: Durable consumer name of deploy's ``deploy.routes.changed`` snapshots
            (``AGENTS_ROUTES_DURABLE``); replicas share it.
        otel_endpoint: OTLP endpoint; tracing is off when unset (``OTEL_EXPORTER_OTLP_ENDPOINT``).
    """

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    database_url: str = _env("AGENTS_DATABASE_URL", "DATABASE_URL", "database_url")
    redis_url: str = _env("AGENTS_REDIS_URL", "REDIS_URL", "redis_url")
    nats_url: str = _env("AGENTS_NATS_URL", "NATS_URL", "nats_url")
    principal_key: bytes = _env("SWITCHYARD_PRINCIPAL_KEY", "principal_key", secret=True)
    grpc_host: str = _opt("127.0.0.1", "AGENTS_GRPC_HOST", "grpc_host")
    grpc_port: int = _opt(50055, "AGENTS_GRPC_PORT", "grpc_port")
    agent_grpc_host: str = _opt("127.0.0.1", "AGENTS_AGENT_GRPC_HOST", "agent_grpc_host")
    agent_grpc_port: int = _opt(9090, "AGENTS_AGENT_GRPC_PORT", "agent_grpc_port")
    agent_grpc_address: str = _opt("", "AGENTS_AGENT_GRPC_ADDRESS", "agent_grpc_address")
    install_token_key: bytes | None = Field(
        None, validation_alias=AliasChoices("AGENTS_INSTALL_TOKEN_KEY", "install_token_key"), repr=False
    )
    install_token_ttl_seconds: int = _opt(
        3600, "AGENTS_INSTALL_TOKEN_TTL_SECONDS", "install_token_ttl_seconds", gt=0
    )
    refresh_token_ttl_seconds: int = _opt(
        30 * 24 * 3600, "AGENTS_REFRESH_TOKEN_TTL_SECONDS", "refresh_token_ttl_seconds", gt=0
    )
    heartbeat_interval_seconds: int = _opt(
        30, "AGENTS_HEARTBEAT_INTERVAL_SECONDS", "heartbeat_interval_seconds", ge=5
    )
    presence_ttl_seconds: int = _opt(90, "AGENTS_PRESENCE_TTL_SECONDS", "presence_ttl_seconds", gt=0)
    routes_durable: str = _opt("agents.routes", "AGENTS_ROUTES_DURABLE", "routes_durable", min_length=1)
    otel_endpoint: str | None = _opt(None, "OTEL_EXPORTER_OTLP_ENDPOINT", "otel_endpoint")
    command_secret_key: bytes | None = Field(
        None, validation_alias=AliasChoices("AGENTS_COMMAND_SECRET_KEY", "command_secret_key"), repr=False
    )

    @field_validator("principal_key", "install_token_key", "command_secret_key", mode="before")
    @classmethod
    def _parse_key(cls, value: Any) -> Any:
        # Env vars arrive as text (hex or raw); tests pass bytes. Both must be >= 32 bytes.
        return key_bytes(value)

    @property
    def advertised_agent_address(self) -> str:
        """What registration hands to agents as BACKEND_GRPC_ADDR."""
        return self.agent_grpc_address or f"{self.agent_grpc_host}:{self.agent_grpc_port}"
