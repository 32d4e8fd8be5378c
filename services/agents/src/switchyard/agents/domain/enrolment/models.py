"""Values the enrolment use cases hand back (no I/O)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

ACTIVE = "active"
REVOKED = "revoked"
REFRESH_PREFIX = "srt_"
BOOTSTRAP_PREFIX = "sbk_"


def digest(secret: str) -> str:
    """What is stored of a secret: its SHA-256, hex (the agent.v1 authenticator hashes the same way)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_agent_secret() -> str:
    """An AGENT_SECRET: 32 random bytes, base64url."""
    return secrets.token_urlsafe(32)


def new_refresh_token() -> str:
    """One opaque link of a refresh-token chain."""
    return f"{REFRESH_PREFIX}{secrets.token_urlsafe(32)}"


def new_bootstrap_key() -> str:
    """A one-shot recovery key."""
    return f"{BOOTSTRAP_PREFIX}{secrets.token_urlsafe(32)}"


@dataclass(frozen=True, slots=True)
class IssuedInstallToken:
    """A minted install token."""

    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ServerView:
    """A stored server as enrolment reports it."""

    id: str
    org_id: str
    name: str
    hostname: str
    machine_id: str
    status: str
    agent_version: str
    created_at: datetime
    enrolled_at: datetime
    last_heartbeat_at: datetime | None


@dataclass(frozen=True, slots=True)
class Credentials:
    """Everything an agent needs, shown once (only hashes are stored)."""

    server_id: str
    agent_secret: str
    refresh_token: str
    bootstrap_key: str
    grpc_address: str


@dataclass(frozen=True, slots=True)
class Registration:
    """The result of RegisterServer."""

    credentials: Credentials
    relinked: bool


@dataclass(frozen=True, slots=True)
class RotatedRefreshToken:
    """The next link of a refresh-token chain."""

    server_id: str
    refresh_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Revocation:
    """What RevokeServerCredentials revoked."""

    revoked_tokens: int
    disconnected: bool
