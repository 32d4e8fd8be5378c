"""Role rules for tenant members, as pure functions (unit-tested without I/O)."""

from __future__ import annotations

from switchyard.grpckit.errors import InvalidArgument, PermissionDenied

OWNER = "owner"
ADMIN = "admin"
USER = "user"
ROLES = (OWNER, ADMIN, USER)
MANAGERS = (OWNER, ADMIN)


def assignable_role(role: str) -> str:
    """A role that may be given by invitation or role change (admin or user)."""
    if not role:
        raise InvalidArgument("role is required")
    if role == OWNER:
        raise InvalidArgument("role cannot be owner; use transfer-ownership")
    if role not in (ADMIN, USER):
        raise InvalidArgument("role must be admin or user")
    return role


def check_can_invite(*, actor_role: str, role: str) -> None:
    """Admins and owners invite; only owners invite admins."""
    if actor_role not in MANAGERS:
        raise PermissionDenied("only owners and admins can invite members")
    if role == ADMIN and actor_role != OWNER:
        raise PermissionDenied("only owners can invite admins")


def check_can_remove(*, actor_id: str, actor_role: str, target_id: str, target_role: str) -> None:
    """Owners and admins remove; nobody removes the owner or themselves; admins remove only users."""
    if actor_role not in MANAGERS:
        raise PermissionDenied("only owners and admins can remove members")
    if target_role == OWNER:
        raise PermissionDenied("cannot remove the owner")
    if actor_id == target_id:
        raise PermissionDenied("cannot remove yourself")
    if actor_role == ADMIN and target_role == ADMIN:
        raise PermissionDenied("admins can only remove users")


def check_can_change_role(*, actor_id: str, actor_role: str, target_id: str, target_role: str) -> None:
    """Only the owner changes roles, and never the owner's own (that is a transfer)."""
    if actor_role != OWNER:
        raise PermissionDenied("only the owner can change roles")
    if actor_id == target_id or target_role == OWNER:
        raise InvalidArgument("cannot change the owner's role; use transfer-ownership")


def check_can_transfer(*, actor_id: str, actor_role: str, target_id: str) -> None:
    """Only the owner transfers ownership, and not to themselves."""
    if actor_role != OWNER:
        raise PermissionDenied("only the owner can transfer ownership")
    if actor_id == target_id:
        raise InvalidArgument("userId must be another member")
