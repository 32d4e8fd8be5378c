"""Ingest settings: parsed once from prefixed env vars into a frozen object passed down."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from switchyard.grpckit.config import env_field as _env
from switchyard.grpckit.config import key_bytes
from switchyard.grpckit.config import opt_field as _opt


class Settings(BaseSettings):
    """Everything the ingest service reads from its environment.

    Attributes:
        database_url: PostgreSQL URL (``INGEST_DATABASE_URL`` or ``DATABASE_URL``).
        redis_url: Redis URL (``INGEST_REDIS_URL`` or ``REDIS_URL``); reserved.
        nats_url: NATS URL (``INGEST_NATS_URL`` or ``NATS_URL``).
        principal_key: Key shared with the gateway to verify principals (``SWITCHYARD_PRINCIPAL_KEY``).
        grpc_host: Interface the gRPC server binds (``INGEST_GRPC_HOST``).
        grpc_port: gRPC port (``INGEST_GRPC_PORT``).
        sentry_durable: Durable consumer name of the raw Sentry payloads (``INGEST_SENTRY_DURABLE``);
            replicas share it, separate deployments on one NATS need their own.
        sentry_deliver_new: A durable created now starts at the stream's end instead of its start
            (``INGEST_SENTRY_DELIVER_NEW``); for throwaway durables (tests), never for a real deployment.
        consume: Run the consumers in this process (``INGEST_CONSUME``); off serves the API only.
        batch_size: Messages fetched and stored per transaction (``INGEST_BATCH_SIZE``).
        sourcemap_max_bytes: Largest accepted source map (``INGEST_SOURCEMAP_MAX_BYTES``); gRPC's 4 MiB
            message limit between the gateway and this service bounds it.
        otel_endpoint: OTLP endpoint; tracing is off when unset (``OTEL_EXPORTER_OTLP_ENDPOINT``).
    """

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    database_url: str = _env("INGEST_DATABASE_URL", "DATABASE_URL", "database_url")
    redis_url: str = _env("INGEST_REDIS_URL", "REDIS_URL", "redis_url")
    nats_url: str = _env("INGEST_NATS_URL", "NATS_URL", "nats_url")
    principal_key: bytes = _env("SWITCHYARD_PRINCIPAL_KEY", "principal_key", secret=True)
    grpc_host: str = _opt("127.0.0.1", "INGEST_GRPC_HOST", "grpc_host")
    grpc_port: int = _opt(50056, "INGEST_GRPC_PORT", "grpc_port")
    sentry_durable: str = _opt("ingest.sentry", "INGEST_SENTRY_DURABLE", "sentry_durable", min_length=1)
    sentry_deliver_new: bool = _opt(False, "INGEST_SENTRY_DELIVER_NEW", "sentry_deliver_new")
    consume: bool = _opt(True, "INGEST_CONSUME", "consume")
    batch_size: int = _opt(200, "INGEST_BATCH_SIZE", "batch_size", ge=1, le=5000)
    sourcemap_max_bytes: int = _opt(
        3 * 1024 * 1024, "INGEST_SOURCEMAP_MAX_BYTES", "sourcemap_max_bytes", ge=1024
    )
    otel_endpoint: str | None = _opt(None, "OTEL_EXPORTER_OTLP_ENDPOINT", "otel_endpoint")

    @field_validator("principal_key", mode="before")
    @classmethod
    def _parse_key(cls, value: Any) -> Any:
        # Env vars arrive as text (hex or raw); tests pass bytes. It must be >= 32 bytes.
        return key_bytes(value)
