"""Identity settings: parsed once from prefixed env vars into a frozen object passed down."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from switchyard.grpckit.config import env_field as _env
from switchyard.grpckit.config import key_bytes


class Settings(BaseSettings):
    """Everything the identity service reads from its environment.

    Attributes:
        database_url: PostgreSQL URL (``IDENTITY_DATABASE_URL`` or ``DATABASE_URL``).
        redis_url: Redis URL (``IDENTITY_REDIS_URL`` or ``REDIS_URL``).
        nats_url: NATS URL (``IDENTITY_NATS_URL`` or ``NATS_URL``).
        principal_key: Key shared with the gateway to verify principals (``SWITCHYARD_PRINCIPAL_KEY``).
        grpc_host: Interface the gRPC server binds (``IDENTITY_GRPC_HOST``).
        grpc_port: gRPC port (``IDENTITY_GRPC_PORT``).
        smtp_host: SMTP relay host (``IDENTITY_SMTP_HOST``).
        smtp_port: SMTP relay port (``IDENTITY_SMTP_PORT``).
        mail_from: Sender address of outgoing mail (``IDENTITY_MAIL_FROM``).
        app_url: Public base URL used in mailed links (``IDENTITY_APP_URL``).
        root_email: Email of the root tenant's owner, created on first start (``IDENTITY_ROOT_EMAIL``).
        root_password: That owner's password, printed once when generated (``IDENTITY_ROOT_PASSWORD``).
        root_tenant_name: Name of the root tenant (``IDENTITY_ROOT_TENANT_NAME``).
        access_ttl_minutes: Access token lifetime (``IDENTITY_ACCESS_TTL_MINUTES``).
        refresh_ttl_days: Refresh token lifetime (``IDENTITY_REFRESH_TTL_DAYS``).
        m2m_token_ttl_seconds: Lifetime of OAuth2 client-credentials (M2M) tokens
            (``IDENTITY_M2M_TOKEN_TTL_SECONDS``).
        key_encryption_key: Key that encrypts signing keys at rest (``IDENTITY_KEY_ENCRYPTION_KEY``);
            derived from the principal key with HKDF when unset.
        otel_endpoint: OTLP endpoint; tracing is off when unset (``OTEL_EXPORTER_OTLP_ENDPOINT``).
    """

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    database_url: str = _env("IDENTITY_DATABASE_URL", "DATABASE_URL", "database_url")
    redis_url: str = _env("IDENTITY_REDIS_URL", "REDIS_URL", "redis_url")
    nats_url: str = _env("IDENTITY_NATS_URL", "NATS_URL", "nats_url")
    principal_key: bytes = _env("SWITCHYARD_PRINCIPAL_KEY", "principal_key", secret=True)
    grpc_host: str = Field("127.0.0.1", validation_alias=AliasChoices("IDENTITY_GRPC_HOST", "grpc_host"))
    grpc_port: int = Field(50051, validation_alias=AliasChoices("IDENTITY_GRPC_PORT", "grpc_port"))
    smtp_host: str = Field("localhost", validation_alias=AliasChoices("IDENTITY_SMTP_HOST", "smtp_host"))
    smtp_port: int = Field(1025, validation_alias=AliasChoices("IDENTITY_SMTP_PORT", "smtp_port"))
    mail_from: str = Field(
        "Switchyard <no-reply@switchyard.local>",
        validation_alias=AliasChoices("IDENTITY_MAIL_FROM", "mail_from"),
    )
    app_url: str = Field(
        "http://localhost:8000", validation_alias=AliasChoices("IDENTITY_APP_URL", "app_url")
    )
    root_email: str = Field(
        "admin@switchyard.local", validation_alias=AliasChoices("IDENTITY_ROOT_EMAIL", "root_email")
    )
    root_password: str | None = Field(
        None, validation_alias=AliasChoices("IDENTITY_ROOT_PASSWORD", "root_password"), repr=False
    )
    root_tenant_name: str = Field(
        "Switchyard", validation_alias=AliasChoices("IDENTITY_ROOT_TENANT_NAME", "root_tenant_name")
    )
    access_ttl_minutes: int = Field(
        60, gt=0, validation_alias=AliasChoices("IDENTITY_ACCESS_TTL_MINUTES", "access_ttl_minutes")
    )
    refresh_ttl_days: int = Field(
        30, gt=0, validation_alias=AliasChoices("IDENTITY_REFRESH_TTL_DAYS", "refresh_ttl_days")
    )
    m2m_token_ttl_seconds: int = Field(
        3600,
        gt=0,
        validation_alias=AliasChoices("IDENTITY_M2M_TOKEN_TTL_SECONDS", "m2m_token_ttl_seconds"),
    )
    key_encryption_key: bytes | None = Field(
        None,
        validation_alias=AliasChoices("IDENTITY_KEY_ENCRYPTION_KEY", "key_encryption_key"),
        repr=False,
    )
    otel_endpoint: str | None = Field(
        None, validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "otel_endpoint")
    )

    @field_validator("principal_key", "key_encryption_key", mode="before")
    @classmethod
    def _parse_key(cls, value: Any) -> Any:
        # Env vars arrive as text (hex or raw); tests pass bytes. Both must be >= 32 bytes.
        return key_bytes(value)
