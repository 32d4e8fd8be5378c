"""Persistence of tenants, memberships and invitations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.identity.db.models import Invitation, Membership, Tenant, User
from switchyard.identity.domain.common import hash_token, next_slug, slugify
from switchyard.identity.domain.tenants.models import MemberView
from switchyard.identity.domain.users.models import MembershipView

_SLUG_ATTEMPTS = 5


async def create_tenant(session: AsyncSession, *, name: str, is_root: bool, now: datetime) -> Tenant:
    """Insert a tenant with a unique slug derived from its name (-2, -3, ... on collision)."""
    base = slugify(name)
    for attempt in range(_SLUG_ATTEMPTS):
        taken = set(
            await session.scalars(
                select(Tenant.slug).where(or_(Tenant.slug == base, Tenant.slug.like(f"{base}-%")))
            )
        )
        tenant = Tenant(
            id=uuid.uuid4(),
            name=name,
            slug=next_slug(base, taken),
            is_root=is_root,
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        try:
            # A savepoint, so losing a slug race to a concurrent register only retries this insert.
            async with session.begin_nested():
                session.add(tenant)
            return tenant
        except IntegrityError:
            if attempt == _SLUG_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


async def get_tenant(session: AsyncSession, *, tenant_id: uuid.UUID) -> Tenant | None:
    """The tenant with this id."""
    return await session.get(Tenant, tenant_id)


async def root_tenant(session: AsyncSession) -> Tenant | None:
    """The root tenant, once bootstrapped."""
    result: Tenant | None = await session.scalar(select(Tenant).where(Tenant.is_root))
    return result


async def add_member(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, role: str, now: datetime
) -> None:
    """Insert a membership."""
    session.add(Membership(tenant_id=tenant_id, user_id=user_id, role=role, joined_at=now))
    await session.flush()


async def role_of(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, lock: bool = False
) -> str | None:
    """The user's role in the tenant (row-locked for mutations), or None when not a member."""
    query = select(Membership.role).where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
    if lock:
        query = query.with_for_update()
    result: str | None = await session.scalar(query)
    return result


async def memberships_of(session: AsyncSession, *, user_id: uuid.UUID) -> list[MembershipView]:
    """Every tenant the user belongs to, in one query."""
    rows = await session.execute(
        select(Tenant.id, Tenant.name, Tenant.slug, Membership.role, Tenant.is_root)
        .join(Membership, Membership.tenant_id == Tenant.id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.joined_at, Tenant.name)
    )
    return [
        MembershipView(tenant_id=str(tid), tenant_name=name, tenant_slug=slug, role=role, is_root=is_root)
        for tid, name, slug, role, is_root in rows
    ]


async def user_with_memberships(
    session: AsyncSession, *, user_id: uuid.UUID
) -> tuple[User | None, list[MembershipView]]:
    """The user and every tenant they belong to, in one round trip (GetMe runs on every page load)."""
    rows = (
        await session.execute(
            select(User, Tenant.id, Tenant.name, Tenant.slug, Membership.role, Tenant.is_root)
            .outerjoin(Membership, Membership.user_id == User.id)
            .outerjoin(Tenant, Tenant.id == Membership.tenant_id)
            .where(User.id == user_id)
            .order_by(Membership.joined_at, Tenant.name)
        )
    ).all()
    if not rows:
        return None, []
    memberships = [
        MembershipView(tenant_id=str(tid), tenant_name=name, tenant_slug=slug, role=role, is_root=is_root)
        for _, tid, name, slug, role, is_root in rows
        if tid is not None
    ]
    return rows[0][0], memberships


async def members(session: AsyncSession, *, tenant_id: uuid.UUID) -> list[MemberView]:
    """The tenant's members with their profiles, oldest first."""
    rows = await session.execute(
        select(User.id, User.email, User.display_name, Membership.role, Membership.joined_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id)
        .order_by(Membership.joined_at, User.email)
    )
    return [
        MemberView(user_id=str(uid), email=email, display_name=name, role=role, joined_at=joined)
        for uid, email, name, role, joined in rows
    ]


async def set_role(session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, role: str) -> None:
    """Change a member's role."""
    await session.execute(
        update(Membership)
        .where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
        .values(role=role)
    )


async def remove_member(session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Delete a membership."""
    await session.execute(
        delete(Membership).where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
    )


async def replace_invitation(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    email: str,
    role: str,
    raw_token: str,
    invited_by: uuid.UUID,
    expires_at: datetime,
    now: datetime,
) -> Invitation:
    """Drop any pending invitation for this email and tenant, then store the new one."""
    await session.execute(
        delete(Invitation).where(
            Invitation.tenant_id == tenant_id, Invitation.email == email, Invitation.accepted_at.is_(None)
        )
    )
    invitation = Invitation(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        email=email,
        role=role,
        token_hash=hash_token(raw_token),
        invited_by=invited_by,
        expires_at=expires_at,
        created_at=now,
    )
    session.add(invitation)
    await session.flush()
    return invitation


async def lock_valid_invitation(session: AsyncSession, *, raw_token: str, now: datetime) -> Invitation | None:
    """The pending, unexpired invitation with this token, row-locked so it is redeemed once."""
    result: Invitation | None = await session.scalar(
        select(Invitation)
        .where(
            Invitation.token_hash == hash_token(raw_token),
            Invitation.accepted_at.is_(None),
            Invitation.expires_at > now,
        )
        .with_for_update()
    )
    return result


async def mark_accepted(session: AsyncSession, *, invitation_id: uuid.UUID, now: datetime) -> None:
    """Record that an invitation was redeemed."""
    await session.execute(update(Invitation).where(Invitation.id == invitation_id).values(accepted_at=now))
