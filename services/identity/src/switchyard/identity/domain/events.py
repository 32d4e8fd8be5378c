"""Domain events; ``switchyard.identity.events`` turns them into protobuf payloads on the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

USER_REGISTERED = "identity.user.registered"
USER_VERIFIED = "identity.user.verified"
TENANT_CREATED = "identity.tenant.created"
MEMBER_INVITED = "identity.member.invited"
MEMBER_JOINED = "identity.member.joined"
MEMBER_REMOVED = "identity.member.removed"
MEMBER_ROLE_CHANGED = "identity.member.role_changed"
OWNERSHIP_TRANSFERRED = "identity.ownership.transferred"
TOKEN_REVOKED = "identity.token.revoked"
API_KEY_CREATED = "identity.api_key.created"
API_KEY_REVOKED = "identity.api_key.revoked"


@dataclass(frozen=True, slots=True)
class UserRegistered:
    """A user signed up."""

    user_id: str
    email: str
    personal_tenant_id: str
    occurred_at: datetime
    subject: str = USER_REGISTERED


@dataclass(frozen=True, slots=True)
class UserVerified:
    """A user proved their mailbox."""

    user_id: str
    occurred_at: datetime
    subject: str = USER_VERIFIED


@dataclass(frozen=True, slots=True)
class TenantCreated:
    """A tenant was created."""

    tenant_id: str
    name: str
    slug: str
    owner_user_id: str
    occurred_at: datetime
    subject: str = TENANT_CREATED


@dataclass(frozen=True, slots=True)
class MemberChanged:
    """A membership changed; ``subject`` says how (invited, joined, removed, role_changed, transferred)."""

    subject: str
    tenant_id: str
    user_id: str
    email: str
    role: str
    actor_user_id: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class TokenRevoked:
    """An access token was revoked before it expired."""

    token_id: str
    user_id: str
    expires_at: datetime
    occurred_at: datetime
    subject: str = TOKEN_REVOKED


@dataclass(frozen=True, slots=True)
class ApiKeyChanged:
    """An API key was created or revoked."""

    subject: str
    key_id: str
    kind: str
    tenant_id: str
    actor_user_id: str
    occurred_at: datetime


Event = UserRegistered | UserVerified | TenantCreated | MemberChanged | TokenRevoked | ApiKeyChanged
