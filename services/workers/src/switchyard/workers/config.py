"""Workers settings: parsed once from prefixed env vars into a frozen object passed down."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from switchyard.grpckit.config import env_field as _env
from switchyard.grpckit.config import key_bytes
from switchyard.grpckit.config import opt_field as _opt


class Settings(BaseSettings):
    """Everything the workers service reads from its environment.

    Attributes:
        database_url: PostgreSQL URL (``WORKERS_DATABASE_URL`` or ``DATABASE_URL``).
        redis_url: Redis URL (``WORKERS_REDIS_URL`` or ``REDIS_URL``).
        nats_url: NATS URL (``WORKERS_NATS_URL`` or ``NATS_URL``).
        principal_key: Key shared with the gateway to verify principals (``SWITCHYARD_PRINCIPAL_KEY``).
        grpc_host: Interface the gRPC server binds (``WORKERS_GRPC_HOST``).
        grpc_port: gRPC port (``WORKERS_GRPC_PORT``).
        key_encryption_key: Key that encrypts the runtime-JWT signing keys and the credential values at rest
            (``WORKERS_KEY_ENCRYPTION_KEY``); derived from the principal key with HKDF when unset.
        runtime_token_ttl_seconds: Runtime JWT lifetime (``WORKERS_RUNTIME_TOKEN_TTL_SECONDS``).
        worker_ttl_seconds: Presence lifetime, renewed by each beat (``WORKERS_WORKER_TTL_SECONDS``).
        stale_after_seconds: A worker without a beat for this long is stale (``WORKERS_STALE_AFTER_SECONDS``).
        heartbeat_interval_ms: Heartbeat interval told to daemons (``WORKERS_HEARTBEAT_INTERVAL_MS``).
        poll_interval_ms: Poll interval told to daemons (``WORKERS_POLL_INTERVAL_MS``).
        issue_lock_ttl_seconds: Issue lock lifetime (``WORKERS_ISSUE_LOCK_TTL_SECONDS``).
        reconcile_interval_seconds: Seconds between passes that re-queue pending sessions Redis lost
            (``WORKERS_RECONCILE_INTERVAL_SECONDS``; 0 turns the loop off).
        reconcile_grace_seconds: A pending session changed more recently than this is left alone by the
            reconciler, its Redis push may still be in flight (``WORKERS_RECONCILE_GRACE_SECONDS``).
        routing_selector_enabled: The routing kill switch; on only when ``WORKERS_ROUTING_SELECTOR_ENABLED``
            is exactly ``true`` (any other value, or none, answers selections with source "disabled").
        credential_keepalive_seconds: Keep-alive frame interval of credential rotation streams
            (``WORKERS_CREDENTIAL_KEEPALIVE_SECONDS``).
        credential_watcher_refresh_seconds: How often an open rotation stream renews its entry in the
            cross-replica watcher registry (``WORKERS_CREDENTIAL_WATCHER_REFRESH_SECONDS``).
        credential_watcher_ttl_seconds: How long a registry entry outlives its last renewal, e.g. when the
            replica serving it dies (``WORKERS_CREDENTIAL_WATCHER_TTL_SECONDS``).
        otel_endpoint: OTLP endpoint; tracing is off when unset (``OTEL_EXPORTER_OTLP_ENDPOINT``).
    """

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    database_url: str = _env("WORKERS_DATABASE_URL", "DATABASE_URL", "database_url")
    redis_url: str = _env("WORKERS_REDIS_URL", "REDIS_URL", "redis_url")
    nats_url: str = _env("WORKERS_NATS_URL", "NATS_URL", "nats_url")
    principal_key: bytes = _env("SWITCHYARD_PRINCIPAL_KEY", "principal_key", secret=True)
    grpc_host: str = _opt("127.0.0.1", "WORKERS_GRPC_HOST", "grpc_host")
    grpc_port: int = _opt(50052, "WORKERS_GRPC_PORT", "grpc_port")
    key_encryption_key: bytes | None = Field(
        None,
        validation_alias=AliasChoices("WORKERS_KEY_ENCRYPTION_KEY", "key_encryption_key"),
        repr=False,
    )
    runtime_token_ttl_seconds: int = _opt(
        3600, "WORKERS_RUNTIME_TOKEN_TTL_SECONDS", "runtime_token_ttl_seconds", gt=0
    )
    worker_ttl_seconds: int = _opt(300, "WORKERS_WORKER_TTL_SECONDS", "worker_ttl_seconds", gt=0)
    stale_after_seconds: int = _opt(180, "WORKERS_STALE_AFTER_SECONDS", "stale_after_seconds", gt=0)
    heartbeat_interval_ms: int = _opt(30000, "WORKERS_HEARTBEAT_INTERVAL_MS", "heartbeat_interval_ms", gt=0)
    poll_interval_ms: int = _opt(5000, "WORKERS_POLL_INTERVAL_MS", "poll_interval_ms", gt=0)
    issue_lock_ttl_seconds: int = _opt(7200, "WORKERS_ISSUE_LOCK_TTL_SECONDS", "issue_lock_ttl_seconds", gt=0)
    reconcile_interval_seconds: float = _opt(
        60.0, "WORKERS_RECONCILE_INTERVAL_SECONDS", "reconcile_interval_seconds", ge=0
    )
    reconcile_grace_seconds: float = _opt(
        30.0, "WORKERS_RECONCILE_GRACE_SECONDS", "reconcile_grace_seconds", ge=0
    )
    routing_selector_enabled: bool = _opt(
        False, "WORKERS_ROUTING_SELECTOR_ENABLED", "routing_selector_enabled"
    )
    credential_keepalive_seconds: float = _opt(
        15.0, "WORKERS_CREDENTIAL_KEEPALIVE_SECONDS", "credential_keepalive_seconds", gt=0
    )
    credential_watcher_refresh_seconds: float = _opt(
        10.0, "WORKERS_CREDENTIAL_WATCHER_REFRESH_SECONDS", "credential_watcher_refresh_seconds", gt=0
    )
    credential_watcher_ttl_seconds: float = _opt(
        30.0, "WORKERS_CREDENTIAL_WATCHER_TTL_SECONDS", "credential_watcher_ttl_seconds", gt=0
    )
    otel_endpoint: str | None = _opt(None, "OTEL_EXPORTER_OTLP_ENDPOINT", "otel_endpoint")

    @field_validator("routing_selector_enabled", mode="before")
    @classmethod
    def _exactly_true(cls, value: Any) -> Any:
        # A kill switch: "1", "yes" or "True" are not "true", so they leave routing off.
        if isinstance(value, str):
            return value == "true"
        return value

    @field_validator("principal_key", "key_encryption_key", mode="before")
    @classmethod
    def _parse_key(cls, value: Any) -> Any:
        # Env vars arrive as text (hex or raw); tests pass bytes. Both must be >= 32 bytes.
        return key_bytes(value)
