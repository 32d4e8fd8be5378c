"""Sign-up and sessions: register, login (with lockout), refresh rotation, logout."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.grpckit.errors import AlreadyExists, InvalidArgument, PermissionDenied, Unauthenticated
from switchyard.grpckit.principal import Principal
from switchyard.identity.db.models import Invitation, User
from switchyard.identity.domain import events as ev
from switchyard.identity.domain import mails
from switchyard.identity.domain.auth.tokens import issue_pair
from switchyard.identity.domain.common import (
    new_token,
    normalize_email,
    personal_tenant_name,
    validate_name,
    validate_password,
)
from switchyard.identity.domain.context import Deps, caller_id
from switchyard.identity.domain.ports import Mail
from switchyard.identity.domain.tenants import repository as tenant_repo
from switchyard.identity.domain.tenants.rules import OWNER
from switchyard.identity.domain.tokens import repository as token_repo
from switchyard.identity.domain.users import repository as user_repo
from switchyard.identity.domain.users.models import AuthSession, LoggedOut, UserView
from switchyard.identity.domain.users.passwords import hash_password, verify_password
from switchyard.identity.errors import AccountLocked

VERIFY_TTL = timedelta(hours=24)
INVALID_LOGIN = "invalid email or password"


class AuthService:
    """Register, login, refresh and logout."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def register(
        self, *, email: str, password: str, display_name: str, invitation_token: str = ""
    ) -> AuthSession:
        """Create a user with a personal tenant; join the inviting tenant when a token is given."""
        email = normalize_email(email)
        validate_password(password)
        name = validate_name(display_name, field="displayName")
        password_hash = await hash_password(password)
        now = self._d.clock()
        outgoing: list[Mail] = []
        async with self._d.sessions.begin() as s:
            invitation = await self._invitation_for(s, invitation_token, email=email, now=now)
            user = await self._insert_user(s, email=email, name=name, password_hash=password_hash, now=now)
            tenant = await tenant_repo.create_tenant(
                s, name=personal_tenant_name(name), is_root=False, now=now
            )
            await tenant_repo.add_member(s, tenant_id=tenant.id, user_id=user.id, role=OWNER, now=now)
            await self._d.events.add(
                s, ev.UserRegistered(str(user.id), email, str(tenant.id), occurred_at=now)
            )
            await self._d.events.add(
                s, ev.TenantCreated(str(tenant.id), tenant.name, tenant.slug, str(user.id), occurred_at=now)
            )
            if invitation is not None:
                await self._join(s, invitation, user=user, now=now)
            else:
                outgoing.append(await self._verification_mail(s, user=user, now=now))
            pair, _ = await issue_pair(s, self._d.tokens, user_id=user.id, now=now)
            memberships = await tenant_repo.memberships_of(s, user_id=user.id)
            view = UserView.of(user)
        await self._d.mailer.send_all(outgoing)
        return AuthSession(tokens=pair, user=view, memberships=memberships)

    async def _invitation_for(
        self, s: AsyncSession, token: str, *, email: str, now: datetime
    ) -> Invitation | None:
        if not token:
            return None
        invitation = await tenant_repo.lock_valid_invitation(s, raw_token=token, now=now)
        if invitation is None or invitation.email != email:
            raise InvalidArgument("invitationToken is invalid or expired")
        return invitation

    async def _insert_user(
        self, s: AsyncSession, *, email: str, name: str, password_hash: str, now: datetime
    ) -> User:
        if await user_repo.get_by_email(s, email=email) is not None:
            raise AlreadyExists("email already registered")
        try:
            # The savepoint turns a concurrent sign-up with the same email into a clean 409.
            async with s.begin_nested():
                return await user_repo.add(
                    s,
                    email=email,
                    display_name=name,
                    password_hash=password_hash,
                    email_verified=False,
                    now=now,
                )
        except IntegrityError as exc:
            raise AlreadyExists("email already registered") from exc

    async def _join(self, s: AsyncSession, invitation: Invitation, *, user: User, now: datetime) -> None:
        await tenant_repo.add_member(
            s, tenant_id=invitation.tenant_id, user_id=user.id, role=invitation.role, now=now
        )
        await tenant_repo.mark_accepted(s, invitation_id=invitation.id, now=now)
        # The token arrived by mail, so it proves the mailbox.
        await user_repo.mark_verified(s, user_id=user.id, now=now)
        user.email_verified = True
        await self._d.events.add(
            s,
            ev.MemberChanged(
                ev.MEMBER_JOINED,
                tenant_id=str(invitation.tenant_id),
                user_id=str(user.id),
                email=user.email,
                role=invitation.role,
                actor_user_id=str(user.id),
                occurred_at=now,
            ),
        )

    async def _verification_mail(self, s: AsyncSession, *, user: User, now: datetime) -> Mail:
        token = new_token()
        await user_repo.add_email_token(
            s, user_id=user.id, purpose=user_repo.VERIFY, raw=token, expires_at=now + VERIFY_TTL, now=now
        )
        return mails.verification(to=user.email, token=token, app_url=self._d.app_url)

    async def login(self, *, email: str, password: str) -> AuthSession:
        """Check a password; five consecutive failures lock the account for fifteen minutes."""
        email = normalize_email(email)
        if not password:
            raise InvalidArgument("password is required")
        async with self._d.sessions() as s:
            user = await user_repo.get_by_email(s, email=email)
        if user is not None:
            self._check_unlocked(user.locked_until)
        if not await verify_password(user.password_hash if user else None, password) or user is None:
            if user is not None:
                async with self._d.sessions.begin() as s:
                    await user_repo.record_failure(s, user_id=user.id, now=self._d.clock())
            raise Unauthenticated(INVALID_LOGIN)
        if not user.is_active:
            raise PermissionDenied("account is deactivated")
        now = self._d.clock()
        async with self._d.sessions.begin() as s:
            fresh = await user_repo.record_success(s, user_id=user.id, now=now)
            if fresh is None:
                # Another request locked the account between our read and this write.
                self._check_unlocked(await self._locked_until(s, user.id))
                raise Unauthenticated(INVALID_LOGIN)
            pair, _ = await issue_pair(s, self._d.tokens, user_id=user.id, now=now)
            memberships = await tenant_repo.memberships_of(s, user_id=user.id)
            view = UserView.of(fresh)
        return AuthSession(tokens=pair, user=view, memberships=memberships)

    async def _locked_until(self, s: AsyncSession, user_id: uuid.UUID) -> datetime | None:
        user = await user_repo.get(s, user_id=user_id)
        if user is not None:
            await s.refresh(user)
        return user.locked_until if user else None

    def _check_unlocked(self, locked_until: datetime | None) -> None:
        now = self._d.clock()
        if locked_until is None or locked_until <= now:
            return
        seconds = max(1, math.ceil((locked_until - now).total_seconds()))
        minutes = max(1, math.ceil(seconds / 60))
        unit = "minute" if minutes == 1 else "minutes"
        raise AccountLocked(
            f"account locked; try again in {minutes} {unit}", http_status=423, retry_after=seconds
        )

    async def refresh(self, *, refresh_token: str) -> AuthSession:
        """Rotate a refresh token; replaying a rotated or revoked one revokes its whole family."""
        if not refresh_token:
            raise InvalidArgument("refreshToken is required")
        claims = self._d.tokens.verify_refresh(refresh_token)
        now = self._d.clock()
        async with self._d.sessions.begin() as s:
            row = await token_repo.lock_refresh(s, jti=claims.jti)
            if row is None or row.user_id != claims.user_id:
                raise Unauthenticated("invalid refresh token")
            reused = row.revoked_at is not None or row.replaced_by is not None
            if reused:
                await token_repo.revoke_family(s, family_id=row.family_id, now=now)
            else:
                session = await self._rotate(
                    s, user_id=row.user_id, jti=row.jti, family_id=row.family_id, now=now
                )
        # Raised after the commit: the family revocation must stick.
        if reused:
            raise Unauthenticated("refresh token reuse detected")
        return session

    async def _rotate(
        self, s: AsyncSession, *, user_id: uuid.UUID, jti: uuid.UUID, family_id: uuid.UUID, now: datetime
    ) -> AuthSession:
        user = await user_repo.get(s, user_id=user_id)
        if user is None or not user.is_active:
            raise Unauthenticated("account is deactivated")
        pair, refresh = await issue_pair(s, self._d.tokens, user_id=user_id, now=now, family_id=family_id)
        await token_repo.mark_replaced(s, jti=jti, by=refresh.jti, now=now)
        memberships = await tenant_repo.memberships_of(s, user_id=user_id)
        return AuthSession(tokens=pair, user=UserView.of(user), memberships=memberships)

    async def logout(self, *, principal: Principal, refresh_token: str = "") -> LoggedOut:
        """Revoke the caller's access token and, when it is theirs, the given refresh token."""
        user_id = caller_id(principal)
        if not principal.token_id:
            raise Unauthenticated("an access token is required")
        now = self._d.clock()
        expires_at = (
            datetime.fromtimestamp(principal.token_expires_at, UTC)
            if principal.token_expires_at
            else now + self._d.tokens.access_ttl
        )
        async with self._d.sessions.begin() as s:
            fresh = await token_repo.revoke_access(
                s, jti=principal.token_id, user_id=str(user_id), expires_at=expires_at, now=now
            )
            if fresh:
                await self._d.events.add(
                    s,
                    ev.TokenRevoked(principal.token_id, str(user_id), expires_at=expires_at, occurred_at=now),
                )
            await self._revoke_own_refresh(s, refresh_token, user_id=user_id, now=now)
        return LoggedOut(access_token_id=principal.token_id, access_token_expires_at=expires_at)

    async def _revoke_own_refresh(
        self, s: AsyncSession, token: str, *, user_id: uuid.UUID, now: datetime
    ) -> None:
        if not token:
            return
        try:
            claims = self._d.tokens.verify_refresh(token)
        except Unauthenticated:
            return  # An expired or foreign token needs no revoking; logout still succeeds.
        if claims.user_id == user_id:
            await token_repo.revoke_refresh(s, jti=claims.jti, user_id=user_id, now=now)
