"""First start: the root tenant, its owner and the first signing key, created exactly once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.identity.domain import events as ev
from switchyard.identity.domain.common import Clock, normalize_email, validate_password
from switchyard.identity.domain.ports import EventSink
from switchyard.identity.domain.tenants import repository as tenant_repo
from switchyard.identity.domain.tenants.rules import OWNER
from switchyard.identity.domain.tokens import repository as token_repo
from switchyard.identity.domain.users import repository as user_repo
from switchyard.identity.domain.users.passwords import hash_password

# Every replica takes this transaction-scoped lock, so N concurrent starts bootstrap once.
_LOCK_SQL = text("SELECT pg_advisory_xact_lock(hashtext('switchyard.identity.bootstrap'))")


@dataclass(frozen=True, slots=True)
class BootstrapResult:
    """What the first start created; ``generated_password`` is set only when it made one up."""

    created_root: bool
    root_email: str
    generated_password: str | None


async def bootstrap(
    sessions: async_sessionmaker[AsyncSession],
    *,
    clock: Clock,
    events: EventSink,
    kek: bytes,
    root_email: str,
    root_password: str | None,
    root_tenant_name: str,
) -> BootstrapResult:
    """Create the signing key and the root tenant with its owner when they do not exist yet."""
    email = normalize_email(root_email, field="root_email")
    generated = None if root_password else secrets.token_urlsafe(18)
    password = root_password or generated or ""
    validate_password(password, field="root_password")
    password_hash = await hash_password(password)
    now = clock()
    async with sessions.begin() as s:
        await s.execute(_LOCK_SQL)
        await token_repo.ensure_signing_key(s, kek=kek, now=now)
        if await tenant_repo.root_tenant(s) is not None:
            return BootstrapResult(created_root=False, root_email=email, generated_password=None)
        user = await user_repo.get_by_email(s, email=email)
        if user is None:
            user = await user_repo.add(
                s,
                email=email,
                display_name="Administrator",
                password_hash=password_hash,
                email_verified=True,
                now=now,
            )
        else:
            # An existing account becomes the owner but keeps its own password.
            generated = None
        tenant = await tenant_repo.create_tenant(s, name=root_tenant_name, is_root=True, now=now)
        await tenant_repo.add_member(s, tenant_id=tenant.id, user_id=user.id, role=OWNER, now=now)
        await events.add(
            s, ev.TenantCreated(str(tenant.id), tenant.name, tenant.slug, str(user.id), occurred_at=now)
        )
    return BootstrapResult(created_root=True, root_email=email, generated_password=generated)
