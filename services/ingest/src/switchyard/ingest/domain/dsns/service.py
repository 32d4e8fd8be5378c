"""Create, list, delete and resolve DSNs."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from switchyard.grpckit.errors import InvalidArgument, NotFound
from switchyard.grpckit.principal import Principal
from switchyard.ingest.db.models import Dsn
from switchyard.ingest.domain.access import reader_org, writer_org
from switchyard.ingest.domain.common import name_of, new_id, uuid_or_empty
from switchyard.ingest.domain.context import Deps

# Sentry public keys are 32 lowercase hex characters.
PUBLIC_KEY = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class DsnView:
    """A DSN as callers see it."""

    id: str
    org_id: str
    name: str
    app_id: str
    public_key: str
    project_id: int
    created_at: datetime


def _view(row: Dsn) -> DsnView:
    return DsnView(
        id=row.id,
        org_id=row.org_id,
        name=row.name,
        app_id=row.app_id,
        public_key=row.public_key,
        project_id=row.project_id,
        created_at=row.created_at,
    )


class DsnService:
    """DSN use cases."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def create(self, *, principal: Principal, name: str, app_id: str) -> DsnView:
        """Mint a DSN with a fresh public key and project id in the caller's org."""
        org = writer_org(principal)
        row = Dsn(
            id=new_id(),
            org_id=org,
            name=name_of(name),
            app_id=uuid_or_empty(app_id, "appId"),
            public_key=secrets.token_hex(16),
            created_at=self._deps.clock(),
        )
        async with self._deps.sessions() as session, session.begin():
            session.add(row)
            await session.flush()
            await session.refresh(row, ["project_id"])
            return _view(row)

    async def list(self, *, principal: Principal) -> list[DsnView]:
        """The org's DSNs, oldest first."""
        org = reader_org(principal)
        async with self._deps.reads() as session:
            rows = await session.scalars(
                select(Dsn).where(Dsn.org_id == org).order_by(Dsn.created_at, Dsn.id)
            )
            return [_view(r) for r in rows]

    async def delete(self, *, principal: Principal, dsn_id: str) -> None:
        """Delete one of the org's DSNs; another org's is NOT_FOUND."""
        org = writer_org(principal)
        async with self._deps.sessions() as session, session.begin():
            deleted = await session.execute(
                delete(Dsn).where(Dsn.id == dsn_id.strip(), Dsn.org_id == org).returning(Dsn.id)
            )
            if deleted.first() is None:
                raise NotFound("dsn not found")

    async def resolve(self, *, public_key: str) -> DsnView:
        """The DSN of ``public_key`` (no principal: holding the key is the credential)."""
        key = public_key.strip().lower()
        if not PUBLIC_KEY.match(key):
            raise InvalidArgument("publicKey must be 32 hex characters", fields={"publicKey": "invalid"})
        async with self._deps.reads() as session:
            row = await session.scalar(select(Dsn).where(Dsn.public_key == key))
        if row is None:
            raise NotFound("unknown DSN key")
        return _view(row)
