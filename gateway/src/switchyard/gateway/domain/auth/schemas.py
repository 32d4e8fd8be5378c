"""Bodies of ``/api/auth/*`` (LastSaaS shapes)."""

from __future__ import annotations

from typing import Any

from switchyard.gateway.schema import CamelStruct, NonEmptyStr, rfc3339, rfc3339_or_none, role_name


class RegisterBody(CamelStruct):
    """``POST /api/auth/register``."""

    email: NonEmptyStr
    password: NonEmptyStr
    display_name: NonEmptyStr
    invitation_token: str = ""


class LoginBody(CamelStruct):
    """``POST /api/auth/login``."""

    email: NonEmptyStr
    password: NonEmptyStr


class RefreshBody(CamelStruct):
    """``POST /api/auth/refresh``."""

    refresh_token: NonEmptyStr


class TokenBody(CamelStruct):
    """A single-use token from a mail (verify-email, accept-invitation)."""

    token: NonEmptyStr


class EmailBody(CamelStruct):
    """``resend-verification`` and ``forgot-password``."""

    email: NonEmptyStr


class ResetPasswordBody(CamelStruct):
    """``POST /api/auth/reset-password``."""

    token: NonEmptyStr
    new_password: NonEmptyStr


class LogoutBody(CamelStruct):
    """``POST /api/auth/logout``; the refresh token is optional."""

    refresh_token: str = ""


class ChangePasswordBody(CamelStruct):
    """``POST /api/auth/change-password``; the current password is optional for OAuth-only accounts."""

    new_password: NonEmptyStr
    current_password: str = ""


class AuthMethod(CamelStruct):
    """One way the user can sign in."""

    provider: str


class User(CamelStruct, omit_defaults=True):
    """The user profile; ``lastLoginAt`` is absent until the first login."""

    id: str
    email: str
    display_name: str
    email_verified: bool
    is_active: bool
    auth_methods: list[AuthMethod]
    created_at: str
    updated_at: str
    last_login_at: str | None = None


class Membership(CamelStruct):
    """The user's place in one tenant."""

    tenant_id: str
    tenant_name: str
    tenant_slug: str
    role: str
    is_root: bool


class Session(CamelStruct):
    """Tokens plus the profile (register, login, refresh)."""

    access_token: str
    refresh_token: str
    user: User
    memberships: list[Membership]


class Me(CamelStruct):
    """``GET /api/auth/me``."""

    user: User
    memberships: list[Membership]


class InvitationAccepted(CamelStruct):
    """``POST /api/auth/accept-invitation``."""

    message: str
    memberships: list[Membership]


def user_from_pb(user: Any) -> User:
    """Map an ``identity.v1.User``."""
    return User(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        email_verified=user.email_verified,
        is_active=user.is_active,
        auth_methods=[AuthMethod(provider=m.provider) for m in user.auth_methods],
        created_at=rfc3339(user.created_at),
        updated_at=rfc3339(user.updated_at),
        last_login_at=rfc3339_or_none(user, "last_login_at"),
    )


def memberships_from_pb(memberships: Any) -> list[Membership]:
    """Map repeated ``identity.v1.Membership``."""
    return [
        Membership(
            tenant_id=m.tenant_id,
            tenant_name=m.tenant_name,
            tenant_slug=m.tenant_slug,
            role=role_name(m.role),
            is_root=m.is_root,
        )
        for m in memberships
    ]


def session_from_pb(response: Any) -> Session:
    """Map a Register/Login/RefreshToken response."""
    return Session(
        access_token=response.tokens.access_token,
        refresh_token=response.tokens.refresh_token,
        user=user_from_pb(response.user),
        memberships=memberships_from_pb(response.memberships),
    )
