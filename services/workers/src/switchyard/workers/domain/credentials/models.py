"""What the credential services hand back: metadata, snapshots, rotations, watch frames (no values)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from switchyard.workers.db.models import Credential
from switchyard.workers.domain.ports import RotationNotice

CREDENTIAL_ID_PREFIX = "cred_"
READY = "ready"
KEEP_ALIVE = "keep-alive"
ROTATION = "rotation"


def new_credential_id() -> str:
    """``cred_`` + 32 hex."""
    return CREDENTIAL_ID_PREFIX + secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class CredentialInfo:
    """A credential's metadata; the value is deliberately not part of it."""

    id: str
    org_id: str
    project_id: str
    env_name: str
    name: str
    kind: str
    created_at: datetime
    updated_at: datetime
    rotated_at: datetime | None

    @classmethod
    def of(cls, row: Credential) -> CredentialInfo:
        """The metadata of a stored row."""
        return cls(
            id=row.id,
            org_id=row.org_id,
            project_id=row.project_id,
            env_name=row.env_name,
            name=row.name,
            kind=row.kind,
            created_at=row.created_at,
            updated_at=row.updated_at,
            rotated_at=row.rotated_at,
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The environment served to a daemon, and when to fetch a new one."""

    env: dict[str, str]
    refresh_until: datetime


@dataclass(frozen=True, slots=True)
class Rotation:
    """The outcome of a rotation."""

    kind: str
    session_count: int
    rotated_at: datetime


@dataclass(frozen=True, slots=True)
class WatchFrame:
    """One frame of a rotation watch: ``ready``, ``keep-alive``, or ``rotation`` with its notice."""

    type: str
    rotation: RotationNotice | None = None
    session_id: str = ""
