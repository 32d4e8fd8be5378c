"""SQL for enrolment: one-shot transitions are conditional UPDATEs, so concurrent callers get one winner."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.agents.db.models import AgentSecret, BootstrapKey, RefreshToken, Server
from switchyard.agents.domain.enrolment.models import REVOKED, ServerView

SERVERS = cast(sa.Table, Server.__table__)
SECRETS = cast(sa.Table, AgentSecret.__table__)
REFRESH = cast(sa.Table, RefreshToken.__table__)
BOOTSTRAP = cast(sa.Table, BootstrapKey.__table__)


@dataclass(frozen=True, slots=True)
class NewServer:
    """The columns of a server being enrolled."""

    id: str
    org_id: str
    name: str
    hostname: str
    machine_id: str
    enrolled_by: str


@dataclass(frozen=True, slots=True)
class CredentialHashes:
    """The hashes of a fresh credential set, and where the refresh chain ends."""

    secret: str
    refresh: str
    bootstrap: str
    refresh_expires_at: datetime


@dataclass(frozen=True, slots=True)
class RefreshLink:
    """A stored refresh-token link."""

    id: str
    server_id: str
    chain_id: str
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


def to_view(row: Any) -> ServerView:
    """A ``servers`` row as a view."""
    return ServerView(
        id=row.id,
        org_id=row.org_id,
        name=row.name,
        hostname=row.hostname,
        machine_id=row.machine_id,
        status=row.status,
        agent_version=row.agent_version,
        created_at=row.created_at,
        enrolled_at=row.enrolled_at,
        last_heartbeat_at=row.last_heartbeat_at,
    )


async def lock_server(session: AsyncSession, *, server_id: str, org_id: str) -> ServerView | None:
    """The org's server, row-locked for the transaction, or None (unknown or another org's)."""
    query = sa.select(SERVERS).where(SERVERS.c.id == server_id, SERVERS.c.org_id == org_id).with_for_update()
    row = (await session.execute(query)).first()
    return to_view(row) if row is not None else None


async def insert_server(
    session: AsyncSession, server: NewServer, *, status: str, now: datetime
) -> ServerView:
    """Store a newly enrolled server."""
    values = {
        "id": server.id,
        "org_id": server.org_id,
        "name": server.name,
        "hostname": server.hostname,
        "machine_id": server.machine_id,
        "status": status,
        "agent_version": "",
        "enrolled_by": server.enrolled_by,
        "created_at": now,
        "enrolled_at": now,
        "updated_at": now,
    }
    row = (await session.execute(sa.insert(SERVERS).values(**values).returning(SERVERS))).one()
    return to_view(row)


async def update_server(session: AsyncSession, *, server_id: str, now: datetime, **values: Any) -> ServerView:
    """Change a server's columns (``updated_at`` follows)."""
    query = sa.update(SERVERS).where(SERVERS.c.id == server_id).values(updated_at=now, **values)
    row = (await session.execute(query.returning(SERVERS))).one()
    return to_view(row)


async def revoke_all(session: AsyncSession, *, server_id: str, now: datetime) -> int:
    """Revoke a server's agent secrets, every refresh token and its bootstrap key.

    Returns:
        How many live credentials were revoked (secrets, unused unexpired refresh links, bootstrap key).
    """
    secrets = await session.execute(
        sa.update(SECRETS)
        .where(SECRETS.c.server_id == server_id, SECRETS.c.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(SECRETS.c.id)
    )
    links = await session.execute(
        sa.update(REFRESH)
        .where(REFRESH.c.server_id == server_id, REFRESH.c.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(REFRESH.c.used_at, REFRESH.c.expires_at)
    )
    keys = await session.execute(
        sa.update(BOOTSTRAP)
        .where(BOOTSTRAP.c.server_id == server_id, BOOTSTRAP.c.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(BOOTSTRAP.c.server_id)
    )
    live_links = sum(1 for used_at, expires_at in links if used_at is None and expires_at > now)
    return len(secrets.all()) + live_links + len(keys.all())


async def store_credentials(
    session: AsyncSession, *, server_id: str, hashes: CredentialHashes, now: datetime
) -> None:
    """Store a fresh secret, the first link of a new refresh chain and the (replaced) bootstrap key."""
    await session.execute(
        sa.insert(SECRETS).values(server_id=server_id, secret_hash=hashes.secret, created_at=now)
    )
    await insert_link(
        session,
        server_id=server_id,
        chain_id=str(uuid.uuid4()),
        token_hash=hashes.refresh,
        now=now,
        expires_at=hashes.refresh_expires_at,
    )
    upsert = pg_insert(BOOTSTRAP).values(server_id=server_id, key_hash=hashes.bootstrap, created_at=now)
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=[BOOTSTRAP.c.server_id],
            set_={"key_hash": hashes.bootstrap, "created_at": now, "revoked_at": None},
        )
    )


async def insert_link(
    session: AsyncSession,
    *,
    server_id: str,
    chain_id: str,
    token_hash: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Append a link to a refresh chain."""
    await session.execute(
        sa.insert(REFRESH).values(
            id=str(uuid.uuid4()),
            server_id=server_id,
            chain_id=chain_id,
            token_hash=token_hash,
            created_at=now,
            expires_at=expires_at,
        )
    )


def _link(row: Any) -> RefreshLink:
    return RefreshLink(
        id=row.id,
        server_id=row.server_id,
        chain_id=row.chain_id,
        expires_at=row.expires_at,
        used_at=row.used_at,
        revoked_at=row.revoked_at,
    )


async def use_link(session: AsyncSession, *, token_hash: str, now: datetime) -> RefreshLink | None:
    """Mark a live link used; None when it is unknown, used, revoked or expired (one caller wins)."""
    query = (
        sa.update(REFRESH)
        .where(
            REFRESH.c.token_hash == token_hash,
            REFRESH.c.used_at.is_(None),
            REFRESH.c.revoked_at.is_(None),
            REFRESH.c.expires_at > now,
        )
        .values(used_at=now)
        .returning(REFRESH)
    )
    row = (await session.execute(query)).first()
    return _link(row) if row is not None else None


async def find_link(session: AsyncSession, *, token_hash: str) -> RefreshLink | None:
    """A link by its hash, whatever its state."""
    row = (await session.execute(sa.select(REFRESH).where(REFRESH.c.token_hash == token_hash))).first()
    return _link(row) if row is not None else None


async def revoke_chain(session: AsyncSession, *, chain_id: str, now: datetime) -> int:
    """Revoke every link of one chain (and nothing else); returns how many were still unrevoked."""
    result = await session.execute(
        sa.update(REFRESH)
        .where(REFRESH.c.chain_id == chain_id, REFRESH.c.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(REFRESH.c.id)
    )
    return len(result.all())


async def lock_by_bootstrap_key(session: AsyncSession, *, key_hash: str) -> ServerView | None:
    """The server whose current, unrevoked bootstrap key this is, row-locked; None otherwise."""
    query = (
        sa.select(SERVERS)
        .join(BOOTSTRAP, BOOTSTRAP.c.server_id == SERVERS.c.id)
        .where(BOOTSTRAP.c.key_hash == key_hash, BOOTSTRAP.c.revoked_at.is_(None))
        .with_for_update()
    )
    row = (await session.execute(query)).first()
    return to_view(row) if row is not None else None


async def mark_revoked(session: AsyncSession, *, server_id: str, now: datetime) -> None:
    """Set a server's status to revoked."""
    await update_server(session, server_id=server_id, now=now, status=REVOKED)
