"""What the tenants aggregate hands back to callers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class MemberView:
    """A tenant member as other members see them."""

    user_id: str
    email: str
    display_name: str
    role: str
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class InvitationSent:
    """The id and expiry of a new invitation."""

    invitation_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TenantAccess:
    """A user's standing in a tenant, as the gateway needs it."""

    tenant_id: str
    role: str
    is_root: bool
    tenant_active: bool
