"""What the M2M aggregate hands back. Client secrets appear only in ``CreatedM2mClient``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from switchyard.identity.db.models import M2mClient
from switchyard.identity.domain.m2m.rules import client_id_of


@dataclass(frozen=True, slots=True)
class M2mClientView:
    """A client without its secret."""

    client_id: str
    org_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    created_by: str
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: M2mClient) -> M2mClientView:
        """Build the view from a row."""
        return cls(
            client_id=client_id_of(row.id),
            org_id=str(row.org_id),
            name=row.name,
            scopes=tuple(row.scopes),
            created_at=row.created_at,
            created_by=row.created_by,
            last_used_at=row.last_used_at,
        )


@dataclass(frozen=True, slots=True)
class CreatedM2mClient:
    """A new client and its secret, shown once."""

    client: M2mClientView
    client_secret: str


@dataclass(frozen=True, slots=True)
class M2mToken:
    """A signed M2M access token and what it grants."""

    access_token: str
    expires_at: datetime
    expires_in_seconds: int
    client_id: str
    org_id: str
    scopes: tuple[str, ...]
