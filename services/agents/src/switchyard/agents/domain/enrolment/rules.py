"""Pure enrolment rules: who may mint and revoke, and which inputs are acceptable."""

from __future__ import annotations

from dataclasses import dataclass

from switchyard.grpckit.errors import InvalidArgument, PermissionDenied
from switchyard.grpckit.principal import ADMIN_KEY, USER, Principal

ADMIN_ROLES = ("owner", "admin")
MAX_TEXT = 255
MIN_TTL = 60
MAX_TTL = 7 * 24 * 3600
# A signed predecessor older than this (past its exp) can no longer be refreshed.
REFRESH_HORIZON_SECONDS = 30 * 24 * 3600
INSTALL_REFRESH_LIMIT = 10
INSTALL_REFRESH_WINDOW = 24 * 3600
RECOVER_LIMIT = 5
RECOVER_WINDOW = 3600


@dataclass(frozen=True, slots=True)
class Operator:
    """An org admin or owner acting on the org's servers."""

    org_id: str
    operator_id: str


def require_admin(principal: Principal, *, action: str) -> Operator:
    """The org and operator id of an org admin or owner (a user, or an lsk_ key acting as one).

    Raises:
        PermissionDenied: Any other caller.
    """
    if principal.kind in (USER, ADMIN_KEY) and principal.role in ADMIN_ROLES and principal.tenant_id:
        operator = principal.user_id or f"key:{principal.token_id}"
        return Operator(org_id=principal.tenant_id, operator_id=operator)
    raise PermissionDenied(f"{action} needs an org admin or owner")


def optional_text(value: str, *, field: str) -> str:
    """A trimmed optional string of at most 255 characters."""
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise InvalidArgument(f"{field} must be at most {MAX_TEXT} characters")
    return text


def required_text(value: str, *, field: str) -> str:
    """A trimmed, non-empty string of at most 255 characters."""
    text = optional_text(value, field=field)
    if not text:
        raise InvalidArgument(f"{field} is required")
    return text


def required_secret(value: str, *, field: str) -> str:
    """A presented credential: non-empty and of a sane length (not trimmed: it is compared as is)."""
    if not value:
        raise InvalidArgument(f"{field} is required")
    if len(value) > 4096:
        raise InvalidArgument(f"{field} is too long")
    return value


def install_ttl(requested: int, *, default: int) -> int:
    """The lifetime of a new install token: ``default`` for 0, else 60 s .. 7 days."""
    if requested == 0:
        requested = default
    if not MIN_TTL <= requested <= MAX_TTL:
        raise InvalidArgument(f"ttlSeconds must be between {MIN_TTL} and {MAX_TTL}")
    return requested


def clamp_ttl(ttl: int) -> int:
    """A predecessor's lifetime brought into the allowed range for its successor."""
    return max(MIN_TTL, min(MAX_TTL, ttl))
