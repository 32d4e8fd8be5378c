"""A user's own account: profile, password changes and the mailed-token flows."""

from __future__ import annotations

from datetime import timedelta

from switchyard.grpckit.errors import InvalidArgument, PermissionDenied, Unauthenticated
from switchyard.grpckit.principal import Principal
from switchyard.identity.domain import events as ev
from switchyard.identity.domain import mails
from switchyard.identity.domain.common import new_token, normalize_email, validate_password
from switchyard.identity.domain.context import Deps, caller_id
from switchyard.identity.domain.ports import Mail
from switchyard.identity.domain.tenants import repository as tenant_repo
from switchyard.identity.domain.tokens import repository as token_repo
from switchyard.identity.domain.users import repository as user_repo
from switchyard.identity.domain.users.models import Me, UserView
from switchyard.identity.domain.users.passwords import hash_password, verify_password

VERIFY_TTL = timedelta(hours=24)
RESET_TTL = timedelta(hours=1)
RESEND_WINDOW_SECONDS = 60
INVALID_TOKEN = "invalid or expired token"


class UserService:
    """GetMe, ChangePassword, VerifyEmail, ResendVerification, ForgotPassword, ResetPassword."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def get_me(self, *, principal: Principal) -> Me:
        """The caller's profile and memberships (one autocommit query: it is on every page load)."""
        user_id = caller_id(principal)
        async with self._d.reads() as s:
            user, memberships = await tenant_repo.user_with_memberships(s, user_id=user_id)
        if user is None:
            raise Unauthenticated("user not found")
        return Me(user=UserView.of(user), memberships=memberships)

    async def change_password(
        self, *, principal: Principal, current_password: str, new_password: str
    ) -> None:
        """Set a new password; the current one is required when the account has one."""
        user_id = caller_id(principal)
        validate_password(new_password, field="newPassword")
        async with self._d.sessions() as s:
            user = await user_repo.get(s, user_id=user_id)
        if user is None:
            raise Unauthenticated("user not found")
        if not user.is_active:
            raise PermissionDenied("account is deactivated")
        if user.password_hash is not None:
            if not current_password:
                raise InvalidArgument("currentPassword is required")
            if not await verify_password(user.password_hash, current_password):
                raise InvalidArgument("currentPassword is incorrect")
        password_hash = await hash_password(new_password)
        async with self._d.sessions.begin() as s:
            await user_repo.set_password(s, user_id=user_id, password_hash=password_hash, now=self._d.clock())

    async def verify_email(self, *, token: str) -> None:
        """Consume a single-use verification token."""
        if not token:
            raise InvalidArgument("token is required")
        now = self._d.clock()
        async with self._d.sessions.begin() as s:
            user_id = await user_repo.consume_email_token(s, raw=token, purpose=user_repo.VERIFY, now=now)
            if user_id is None:
                raise InvalidArgument(INVALID_TOKEN)
            await user_repo.mark_verified(s, user_id=user_id, now=now)
            await self._d.events.add(s, ev.UserVerified(str(user_id), occurred_at=now))

    async def resend_verification(self, *, email: str) -> None:
        """Mail a new verification token, at most once a minute per email; silent either way."""
        email = normalize_email(email)
        # The gate is taken before looking the email up, so timing and answers do not reveal accounts.
        if not await self._d.limiter.acquire(f"resend-verification:{email}", seconds=RESEND_WINDOW_SECONDS):
            return
        now = self._d.clock()
        outgoing: list[Mail] = []
        async with self._d.sessions.begin() as s:
            user = await user_repo.get_by_email(s, email=email)
            if user is not None and not user.email_verified and user.is_active:
                token = new_token()
                await user_repo.add_email_token(
                    s,
                    user_id=user.id,
                    purpose=user_repo.VERIFY,
                    raw=token,
                    expires_at=now + VERIFY_TTL,
                    now=now,
                )
                outgoing.append(mails.verification(to=email, token=token, app_url=self._d.app_url))
        await self._d.mailer.send_all(outgoing)

    async def forgot_password(self, *, email: str) -> None:
        """Mail a one-hour reset token when the email has a password account; silent either way."""
        email = normalize_email(email)
        now = self._d.clock()
        outgoing: list[Mail] = []
        async with self._d.sessions.begin() as s:
            user = await user_repo.get_by_email(s, email=email)
            if user is not None and user.password_hash is not None and user.is_active:
                token = new_token()
                await user_repo.add_email_token(
                    s,
                    user_id=user.id,
                    purpose=user_repo.RESET,
                    raw=token,
                    expires_at=now + RESET_TTL,
                    now=now,
                )
                outgoing.append(mails.password_reset(to=email, token=token, app_url=self._d.app_url))
        await self._d.mailer.send_all(outgoing)

    async def reset_password(self, *, token: str, new_password: str) -> None:
        """Consume a reset token, set the password, clear lockout and end every session."""
        if not token:
            raise InvalidArgument("token is required")
        validate_password(new_password, field="newPassword")
        password_hash = await hash_password(new_password)
        now = self._d.clock()
        async with self._d.sessions.begin() as s:
            user_id = await user_repo.consume_email_token(s, raw=token, purpose=user_repo.RESET, now=now)
            if user_id is None:
                raise InvalidArgument(INVALID_TOKEN)
            await user_repo.set_password(s, user_id=user_id, password_hash=password_hash, now=now)
            await token_repo.revoke_all_for_user(s, user_id=user_id, now=now)
