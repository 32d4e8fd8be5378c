"""What the users aggregate hands back to callers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from switchyard.identity.db.models import User


@dataclass(frozen=True, slots=True)
class UserView:
    """A user profile; the password hash never leaves the repository."""

    id: str
    email: str
    display_name: str
    email_verified: bool
    is_active: bool
    auth_methods: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserView:
        """Build the view from a row."""
        return cls(
            id=str(user.id),
            email=user.email,
            display_name=user.display_name,
            email_verified=user.email_verified,
            is_active=user.is_active,
            auth_methods=("password",) if user.password_hash else (),
            created_at=user.created_at,
            updated_at=user.updated_at,
            last_login_at=user.last_login_at,
        )


@dataclass(frozen=True, slots=True)
class MembershipView:
    """A user's place in one tenant."""

    tenant_id: str
    tenant_name: str
    tenant_slug: str
    role: str
    is_root: bool


@dataclass(frozen=True, slots=True)
class TokenPair:
    """A fresh access and refresh token."""

    access_token: str
    refresh_token: str
    access_token_expires_at: datetime
    refresh_token_expires_at: datetime


@dataclass(frozen=True, slots=True)
class AuthSession:
    """What register, login and refresh return."""

    tokens: TokenPair
    user: UserView
    memberships: list[MembershipView]


@dataclass(frozen=True, slots=True)
class Me:
    """The caller's profile and memberships."""

    user: UserView
    memberships: list[MembershipView]


@dataclass(frozen=True, slots=True)
class LoggedOut:
    """The revoked access token, so edges can stop it at once."""

    access_token_id: str
    access_token_expires_at: datetime
