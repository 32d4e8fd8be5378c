"""SQL for servers and their credentials (the parts operators and the agent stream touch)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.agents.db.models import AgentSecret, BootstrapKey, RefreshToken, Server
from switchyard.agents.domain.servers.models import ServerView

T = cast(sa.Table, Server.__table__)
SECRETS = cast(sa.Table, AgentSecret.__table__)
TOKENS = cast(sa.Table, RefreshToken.__table__)
KEYS = cast(sa.Table, BootstrapKey.__table__)
COLUMNS = tuple(T.c)
ACTIVE = "active"


def to_view(row: Any) -> ServerView:
    """A result row (every column of ``servers``) as a view."""
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


# Built once: every operator action reads its server first.
_GET = sa.select(*COLUMNS).where(T.c.id == sa.bindparam("server_id"), T.c.org_id == sa.bindparam("org_id"))


async def get(session: AsyncSession, *, server_id: str, org_id: str) -> ServerView | None:
    """The server, when it belongs to the org."""
    row = (await session.execute(_GET, {"server_id": server_id, "org_id": org_id})).first()
    return to_view(row) if row else None


async def list_for_org(session: AsyncSession, *, org_id: str, limit: int) -> list[ServerView]:
    """The org's servers, newest first."""
    rows = await session.execute(
        sa.select(*COLUMNS)
        .where(T.c.org_id == org_id)
        .order_by(T.c.created_at.desc(), T.c.id.desc())
        .limit(limit)
    )
    return [to_view(r) for r in rows]


async def org_of_secret(session: AsyncSession, *, server_id: str, secret_hash: str) -> str | None:
    """The org of an active server whose unrevoked agent secret has this hash."""
    value = await session.scalar(
        sa.select(T.c.org_id)
        .select_from(SECRETS.join(T, SECRETS.c.server_id == T.c.id))
        .where(
            SECRETS.c.secret_hash == secret_hash,
            SECRETS.c.server_id == server_id,
            SECRETS.c.revoked_at.is_(None),
            T.c.status == ACTIVE,
        )
    )
    return str(value) if value is not None else None


async def touch(session: AsyncSession, *, server_id: str, agent_version: str, at: datetime) -> None:
    """Record the latest heartbeat (throttled by the caller)."""
    values: dict[str, Any] = {"last_heartbeat_at": at, "updated_at": at}
    if agent_version:
        values["agent_version"] = agent_version
    await session.execute(sa.update(T).where(T.c.id == server_id).values(**values))


async def delete(session: AsyncSession, *, server_id: str, now: datetime) -> bool:
    """Revoke every credential of the server and delete its row; False when it was already gone."""
    await session.execute(
        sa.update(SECRETS)
        .where(SECRETS.c.server_id == server_id, SECRETS.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        sa.update(TOKENS)
        .where(TOKENS.c.server_id == server_id, TOKENS.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        sa.update(KEYS)
        .where(KEYS.c.server_id == server_id, KEYS.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    result = await session.execute(sa.delete(T).where(T.c.id == server_id))
    return bool(getattr(result, "rowcount", 0))
