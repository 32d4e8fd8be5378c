"""Tenant members: listing, invitations, removal, roles and ownership; tenant access for the gateway."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.grpckit.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from switchyard.grpckit.principal import Principal
from switchyard.identity.db.models import Membership, Tenant, User
from switchyard.identity.domain import events as ev
from switchyard.identity.domain import mails
from switchyard.identity.domain.common import find_id, new_token, normalize_email
from switchyard.identity.domain.context import Deps, caller_id, require_service
from switchyard.identity.domain.messages import repository as message_repo
from switchyard.identity.domain.tenants import repository as tenant_repo
from switchyard.identity.domain.tenants import rules
from switchyard.identity.domain.tenants.models import InvitationSent, MemberView, TenantAccess
from switchyard.identity.domain.users import repository as user_repo
from switchyard.identity.domain.users.models import MembershipView

INVITATION_TTL = timedelta(days=7)
TENANT_NOT_FOUND = "tenant not found"
MEMBER_NOT_FOUND = "member not found"
ROOT_ALIAS = "root"


@dataclass(frozen=True, slots=True)
class _Actor:
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    role: str


class TenantService:
    """Members of the principal's tenant and tenant access resolution."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def _actor(self, s: AsyncSession, principal: Principal, *, lock: bool) -> _Actor:
        # The role is re-read (and row-locked for mutations): the principal's role may be stale.
        user_id = caller_id(principal)
        tenant_id = find_id(principal.require_tenant(), not_found=TENANT_NOT_FOUND)
        role = await tenant_repo.role_of(s, tenant_id=tenant_id, user_id=user_id, lock=lock)
        if role is None:
            raise NotFound(TENANT_NOT_FOUND)
        return _Actor(tenant_id=tenant_id, user_id=user_id, role=role)

    async def _member_changed(
        self, s: AsyncSession, subject: str, *, actor: _Actor, user: User | None, role: str, email: str = ""
    ) -> None:
        await self._d.events.add(
            s,
            ev.MemberChanged(
                subject,
                tenant_id=str(actor.tenant_id),
                user_id=str(user.id) if user else "",
                email=user.email if user else email,
                role=role,
                actor_user_id=str(actor.user_id),
                occurred_at=self._d.clock(),
            ),
        )

    async def list_members(self, *, principal: Principal) -> list[MemberView]:
        """Every member of the principal's tenant; any member may ask.

        One autocommit query: the caller is a member exactly when they are in the list, so the
        membership check needs no query of its own.
        """
        user_id = caller_id(principal)
        tenant_id = find_id(principal.require_tenant(), not_found=TENANT_NOT_FOUND)
        async with self._d.reads() as s:
            members = await tenant_repo.members(s, tenant_id=tenant_id)
        if not any(m.user_id == str(user_id) for m in members):
            raise NotFound(TENANT_NOT_FOUND)
        return members

    async def invite_member(self, *, principal: Principal, email: str, role: str) -> InvitationSent:
        """Invite an email as admin or user; a pending invitation for the same email is replaced."""
        email = normalize_email(email)
        role = rules.assignable_role(role)
        now = self._d.clock()
        token = new_token()
        async with self._d.sessions.begin() as s:
            actor = await self._actor(s, principal, lock=True)
            rules.check_can_invite(actor_role=actor.role, role=role)
            tenant = await tenant_repo.get_tenant(s, tenant_id=actor.tenant_id)
            if tenant is None:
                raise NotFound(TENANT_NOT_FOUND)
            existing = await user_repo.get_by_email(s, email=email)
            if existing and await tenant_repo.role_of(s, tenant_id=tenant.id, user_id=existing.id):
                raise AlreadyExists("email is already a member")
            invitation = await tenant_repo.replace_invitation(
                s,
                tenant_id=tenant.id,
                email=email,
                role=role,
                raw_token=token,
                invited_by=actor.user_id,
                expires_at=now + INVITATION_TTL,
                now=now,
            )
            if existing is not None:
                await _inbox_invitation(s, user=existing, tenant_name=tenant.name, role=role, now=now)
            await self._member_changed(
                s, ev.MEMBER_INVITED, actor=actor, user=existing, role=role, email=email
            )
            mail = mails.invitation(
                to=email,
                token=token,
                app_url=self._d.app_url,
                tenant_name=tenant.name,
                existing_user=existing is not None,
            )
        await self._d.mailer.send_all([mail])
        return InvitationSent(invitation_id=str(invitation.id), expires_at=invitation.expires_at)

    async def accept_invitation(self, *, principal: Principal, token: str) -> list[MembershipView]:
        """Join the inviting tenant; the invitation must have been sent to the caller's email."""
        user_id = caller_id(principal)
        if not token:
            raise InvalidArgument("token is required")
        now = self._d.clock()
        async with self._d.sessions.begin() as s:
            invitation = await tenant_repo.lock_valid_invitation(s, raw_token=token, now=now)
            if invitation is None:
                raise InvalidArgument("token is invalid or expired")
            user = await user_repo.get(s, user_id=user_id)
            if user is None or user.email != invitation.email:
                raise PermissionDenied("this invitation was sent to a different email")
            if await tenant_repo.role_of(s, tenant_id=invitation.tenant_id, user_id=user_id):
                raise AlreadyExists("already a member of this tenant")
            await tenant_repo.add_member(
                s, tenant_id=invitation.tenant_id, user_id=user_id, role=invitation.role, now=now
            )
            await tenant_repo.mark_accepted(s, invitation_id=invitation.id, now=now)
            # The token arrived by mail, so it proves the mailbox.
            await user_repo.mark_verified(s, user_id=user_id, now=now)
            actor = _Actor(tenant_id=invitation.tenant_id, user_id=user_id, role=invitation.role)
            await self._member_changed(s, ev.MEMBER_JOINED, actor=actor, user=user, role=invitation.role)
            return await tenant_repo.memberships_of(s, user_id=user_id)

    async def _target(self, s: AsyncSession, actor: _Actor, user_id: str) -> tuple[User, str]:
        target_id = find_id(user_id, not_found=MEMBER_NOT_FOUND)
        role = await tenant_repo.role_of(s, tenant_id=actor.tenant_id, user_id=target_id, lock=True)
        user = await user_repo.get(s, user_id=target_id) if role else None
        if role is None or user is None:
            raise NotFound(MEMBER_NOT_FOUND)
        return user, role

    async def remove_member(self, *, principal: Principal, user_id: str) -> None:
        """Remove a member: not the owner, not yourself, and admins remove only users."""
        async with self._d.sessions.begin() as s:
            actor = await self._actor(s, principal, lock=True)
            if actor.role not in rules.MANAGERS:
                raise PermissionDenied("only owners and admins can remove members")
            target, role = await self._target(s, actor, user_id)
            rules.check_can_remove(
                actor_id=str(actor.user_id), actor_role=actor.role, target_id=str(target.id), target_role=role
            )
            await tenant_repo.remove_member(s, tenant_id=actor.tenant_id, user_id=target.id)
            await self._member_changed(s, ev.MEMBER_REMOVED, actor=actor, user=target, role="")

    async def change_member_role(self, *, principal: Principal, user_id: str, role: str) -> None:
        """Set a member's role to admin or user; owner only."""
        role = rules.assignable_role(role)
        async with self._d.sessions.begin() as s:
            actor = await self._actor(s, principal, lock=True)
            if actor.role != rules.OWNER:
                raise PermissionDenied("only the owner can change roles")
            target, current = await self._target(s, actor, user_id)
            rules.check_can_change_role(
                actor_id=str(actor.user_id),
                actor_role=actor.role,
                target_id=str(target.id),
                target_role=current,
            )
            await tenant_repo.set_role(s, tenant_id=actor.tenant_id, user_id=target.id, role=role)
            await self._member_changed(s, ev.MEMBER_ROLE_CHANGED, actor=actor, user=target, role=role)

    async def transfer_ownership(self, *, principal: Principal, user_id: str) -> None:
        """Make another member the owner and the old owner an admin, in one transaction."""
        async with self._d.sessions.begin() as s:
            actor = await self._actor(s, principal, lock=True)
            if actor.role != rules.OWNER:
                raise PermissionDenied("only the owner can transfer ownership")
            if user_id == str(actor.user_id):
                raise InvalidArgument("userId must be another member")
            target, _ = await self._target(s, actor, user_id)
            rules.check_can_transfer(
                actor_id=str(actor.user_id), actor_role=actor.role, target_id=str(target.id)
            )
            # Demote first: the partial unique index allows one owner per tenant at any moment.
            await tenant_repo.set_role(s, tenant_id=actor.tenant_id, user_id=actor.user_id, role=rules.ADMIN)
            await tenant_repo.set_role(s, tenant_id=actor.tenant_id, user_id=target.id, role=rules.OWNER)
            await self._member_changed(
                s, ev.OWNERSHIP_TRANSFERRED, actor=actor, user=target, role=rules.OWNER
            )

    async def resolve_access(self, *, principal: Principal, user_id: str, tenant_id: str) -> TenantAccess:
        """The user's role in a tenant (or the root tenant for the alias "root"); services only."""
        require_service(principal)
        uid = find_id(user_id, not_found=TENANT_NOT_FOUND)
        query = (
            select(Tenant.id, Tenant.is_root, Tenant.is_active, Membership.role, User.is_active)
            .join(Membership, Membership.tenant_id == Tenant.id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.user_id == uid)
        )
        if tenant_id == ROOT_ALIAS:
            query = query.where(Tenant.is_root)
        else:
            query = query.where(Tenant.id == find_id(tenant_id, not_found=TENANT_NOT_FOUND))
        async with self._d.sessions() as s:
            row = (await s.execute(query)).first()
        if row is None:
            raise NotFound(TENANT_NOT_FOUND)
        tid, is_root, tenant_active, role, user_active = row
        if not user_active:
            raise Unauthenticated("account is deactivated")
        if not tenant_active:
            raise PermissionDenied("tenant is deactivated")
        return TenantAccess(tenant_id=str(tid), role=role, is_root=is_root, tenant_active=tenant_active)


async def _inbox_invitation(
    s: AsyncSession, *, user: User, tenant_name: str, role: str, now: datetime
) -> None:
    """Existing users also see the invitation in their inbox."""
    await message_repo.add(
        s,
        user_id=user.id,
        type_="invitation",
        title=f"You're invited to join {tenant_name}",
        body=f"You have been invited to join {tenant_name} as {role}. See your email to accept.",
        now=now,
    )
