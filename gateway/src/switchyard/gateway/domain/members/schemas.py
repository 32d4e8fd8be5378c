"""Bodies of ``/api/tenant/members`` (LastSaaS shapes)."""

from __future__ import annotations

from typing import Any, Literal

from switchyard.gateway.schema import CamelStruct, NonEmptyStr, rfc3339, role_name


class InviteBody(CamelStruct):
    """``POST /api/tenant/members/invite``; only owners may invite admins."""

    email: NonEmptyStr
    role: Literal["admin", "user"] = "user"


class RoleBody(CamelStruct):
    """``PATCH /api/tenant/members/{userId}/role``."""

    role: Literal["admin", "user"]


class Member(CamelStruct):
    """A tenant member as other members see them."""

    user_id: str
    email: str
    display_name: str
    role: str
    joined_at: str


class MemberList(CamelStruct):
    """``GET /api/tenant/members``."""

    members: list[Member]


def members_from_pb(members: Any) -> MemberList:
    """Map repeated ``identity.v1.Member``."""
    return MemberList(
        members=[
            Member(
                user_id=m.user_id,
                email=m.email,
                display_name=m.display_name,
                role=role_name(m.role),
                joined_at=rfc3339(m.joined_at),
            )
            for m in members
        ]
    )
