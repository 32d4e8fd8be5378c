"""Mutations settings: parsed once from prefixed env vars into a frozen object passed down."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from switchyard.grpckit.config import env_field as _env
from switchyard.grpckit.config import key_bytes


class Settings(BaseSettings):
    """Everything the mutations service reads from its environment.

    Attributes:
        database_url: PostgreSQL URL (``MUTATIONS_DATABASE_URL`` or ``DATABASE_URL``).
        redis_url: Redis URL (``MUTATIONS_REDIS_URL`` or ``REDIS_URL``).
        nats_url: NATS URL (``MUTATIONS_NATS_URL`` or ``NATS_URL``).
        principal_key: Key shared with the gateway to verify and sign principals
            (``SWITCHYARD_PRINCIPAL_KEY``).
        grpc_host: Interface the gRPC server binds (``MUTATIONS_GRPC_HOST``).
        grpc_port: gRPC port (``MUTATIONS_GRPC_PORT``).
        workers_addr: The workers service, ``host:port[,host:port...]`` (``MUTATIONS_WORKERS_ADDR``).
        workers_timeout_seconds: Deadline of each call to the workers service
            (``MUTATIONS_WORKERS_TIMEOUT_SECONDS``).
        repair_interval_seconds: How often the pending markers are re-derived from PostgreSQL
            (``MUTATIONS_REPAIR_INTERVAL_SECONDS``; 0 turns the repair loop off).
        otel_endpoint: OTLP endpoint; tracing is off when unset (``OTEL_EXPORTER_OTLP_ENDPOINT``).
    """

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    database_url: str = _env("MUTATIONS_DATABASE_URL", "DATABASE_URL", "database_url")
    redis_url: str = _env("MUTATIONS_REDIS_URL", "REDIS_URL", "redis_url")
    nats_url: str = _env("MUTATIONS_NATS_URL", "NATS_URL", "nats_url")
    principal_key: bytes = _env("SWITCHYARD_PRINCIPAL_KEY", "principal_key", secret=True)
    grpc_host: str = Field("127.0.0.1", validation_alias=AliasChoices("MUTATIONS_GRPC_HOST", "grpc_host"))
    grpc_port: int = Field(50053, validation_alias=AliasChoices("MUTATIONS_GRPC_PORT", "grpc_port"))
    workers_addr: str = Field(
        "127.0.0.1:50052", validation_alias=AliasChoices("MUTATIONS_WORKERS_ADDR", "workers_addr")
    )
    workers_timeout_seconds: float = Field(
        5.0,
        gt=0,
        validation_alias=AliasChoices("MUTATIONS_WORKERS_TIMEOUT_SECONDS", "workers_timeout_seconds"),
    )
    repair_interval_seconds: float = Field(
        30.0,
        ge=0,
        validation_alias=AliasChoices("MUTATIONS_REPAIR_INTERVAL_SECONDS", "repair_interval_seconds"),
    )
    otel_endpoint: str | None = Field(
        None, validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "otel_endpoint")
    )

    @field_validator("principal_key", mode="before")
    @classmethod
    def _parse_key(cls, value: Any) -> Any:
        # Env vars arrive as text (hex or raw); tests pass bytes. Both must be >= 32 bytes.
        return key_bytes(value)
