"""Push api keys of service metrics: minted and revoked by org admins, resolved on every push."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from switchyard.grpckit.errors import NotFound, Unauthenticated
from switchyard.grpckit.principal import Principal
from switchyard.ingest.db.models import MetricsKey
from switchyard.ingest.domain.access import reader_org, writer_org
from switchyard.ingest.domain.common import name_of, new_id
from switchyard.ingest.domain.context import Deps

KEY_PREFIX = "smk_"
SHOWN_PREFIX = 12
KEY_MAX = 200


@dataclass(frozen=True, slots=True)
class KeyView:
    """A key as callers see it (never the raw value nor its hash)."""

    id: str
    org_id: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


def _view(row: MetricsKey) -> KeyView:
    return KeyView(
        id=row.id,
        org_id=row.org_id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def key_hash(raw: str) -> str:
    """The stored form of a raw key (SHA-256: the key is 256 random bits, so no slow hash is needed)."""
    return hashlib.sha256(raw.encode()).hexdigest()


class MetricsKeyService:
    """Mint, list, revoke and resolve push keys."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def create(self, *, principal: Principal, name: str) -> tuple[KeyView, str]:
        """A new key and its raw value (returned only here)."""
        org = writer_org(principal)
        raw = KEY_PREFIX + secrets.token_urlsafe(32)
        row = MetricsKey(
            id=new_id(),
            org_id=org,
            name=name_of(name),
            prefix=raw[:SHOWN_PREFIX],
            key_hash=key_hash(raw),
            created_at=self._deps.clock(),
            revoked_at=None,
        )
        async with self._deps.sessions() as session, session.begin():
            session.add(row)
        return _view(row), raw

    async def list(self, *, principal: Principal) -> list[KeyView]:
        """The org's keys, newest first."""
        org = reader_org(principal)
        async with self._deps.reads() as session:
            rows = await session.scalars(
                select(MetricsKey)
                .where(MetricsKey.org_id == org)
                .order_by(MetricsKey.created_at.desc(), MetricsKey.id)
            )
            return [_view(r) for r in rows]

    async def revoke(self, *, principal: Principal, key_id: str) -> KeyView:
        """Revoke one of the org's keys (again is a no-op); another org's is NOT_FOUND."""
        org = writer_org(principal)
        async with self._deps.sessions() as session, session.begin():
            row = await session.scalar(
                select(MetricsKey).where(MetricsKey.id == key_id.strip(), MetricsKey.org_id == org)
            )
            if row is None:
                raise NotFound("metrics key not found")
            if row.revoked_at is None:
                await session.execute(
                    update(MetricsKey).where(MetricsKey.id == row.id).values(revoked_at=self._deps.clock())
                )
                await session.refresh(row)
            return _view(row)

    async def resolve(self, *, raw_key: str) -> KeyView:
        """The active key of ``raw_key``; UNAUTHENTICATED for an unknown or revoked one (no principal)."""
        raw = raw_key.strip()
        if not raw.startswith(KEY_PREFIX) or len(raw) > KEY_MAX:
            raise Unauthenticated("invalid metrics key")
        async with self._deps.reads() as session:
            row = await session.scalar(
                select(MetricsKey).where(
                    MetricsKey.key_hash == key_hash(raw), MetricsKey.revoked_at.is_(None)
                )
            )
        if row is None:
            raise Unauthenticated("invalid metrics key")
        return _view(row)
