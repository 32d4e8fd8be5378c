"""What the API-key aggregate hands back. Raw keys appear only in the ``Created*`` results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from switchyard.identity.db.models import ApiKey, OrgKey


@dataclass(frozen=True, slots=True)
class ApiKeyView:
    """An ``lsk_`` key without its secret."""

    id: str
    name: str
    key_preview: str
    authority: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    is_active: bool

    @classmethod
    def of(cls, row: ApiKey) -> ApiKeyView:
        """Build the view from a row."""
        return cls(
            id=str(row.id),
            name=row.name,
            key_preview=row.key_preview,
            authority=row.authority,
            created_by=str(row.created_by),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            is_active=row.is_active,
        )


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    """A new ``lsk_`` key and its raw value, shown once."""

    api_key: ApiKeyView
    raw_key: str


@dataclass(frozen=True, slots=True)
class OrgKeyView:
    """An ``rsk_live_`` key without its secret."""

    id: str
    org_id: str
    name: str
    key_prefix: str
    scopes: tuple[str, ...]
    all_projects: bool
    project_ids: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    created_by: str
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: OrgKey) -> OrgKeyView:
        """Build the view from a row."""
        return cls(
            id=str(row.id),
            org_id=str(row.org_id),
            name=row.name,
            key_prefix=row.key_prefix,
            scopes=tuple(row.scopes),
            all_projects=row.all_projects,
            project_ids=tuple(row.project_ids),
            created_at=row.created_at,
            expires_at=row.expires_at,
            created_by=row.created_by,
            last_used_at=row.last_used_at,
        )


@dataclass(frozen=True, slots=True)
class CreatedOrgKey:
    """A new ``rsk_live_`` key and its raw value, shown once."""

    key: OrgKeyView
    full_key: str


@dataclass(frozen=True, slots=True)
class OrgKeySpec:
    """A validated request for a new org key."""

    name: str
    all_projects: bool
    project_ids: tuple[str, ...]
    scopes: tuple[str, ...]
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuthenticatedKey:
    """What a presented key may do."""

    key_id: str
    kind: str
    user_id: str = ""
    tenant_id: str = ""
    authority: str = ""
    scopes: tuple[str, ...] = ()
    all_projects: bool = False
    project_ids: tuple[str, ...] = field(default=())
