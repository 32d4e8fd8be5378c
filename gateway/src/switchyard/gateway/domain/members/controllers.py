"""``/api/tenant/members``: list, invite, remove, change role, transfer ownership."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from switchyard.gateway.auth.deps import TENANT, AnyRequest
from switchyard.gateway.domain.members import schemas as s
from switchyard.gateway.ratelimit import RATE_LIMIT_OPT, rate_limit_guard
from switchyard.gateway.schema import ROLE_BY_NAME, MessageResponse
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal


class MembersController(Controller):
    """Members of the tenant named by ``X-Tenant-ID``; role rules are identity's."""

    path = "/api/tenant/members"
    tags = ["Tenant members"]
    dependencies = TENANT
    security = [{"bearer": []}]

    @get(
        "/",
        operation_id="ListMembers",
        description="Returns all members of the current tenant with their roles and join dates. Any member of the tenant can call this endpoint.",  # noqa: E501
    )
    async def list_members(
        self, request: AnyRequest, principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.MemberList:
        """The tenant's members (the caller's membership was checked by the tenant dependency)."""

        async def fetch() -> s.MemberList:
            response = await gateway.identity.list_members(principal)
            return s.members_from_pb(response.members)

        return await gateway.reads.get_or_fetch(("members", principal.tenant_id), request.scope, fetch)

    @post(
        "/invite",
        status_code=200,
        operation_id="InviteMember",
        guards=[rate_limit_guard],
        opt={RATE_LIMIT_OPT: "invite"},
        description="Sends an invitation email to join the tenant. If the email belongs to an existing user, they receive a join link. If not, they receive a signup-and-join link. Invitations expire after 7 days. Only owners can invite admins; admins can only invite users. Subject to the plan's user limit.",  # noqa: E501
    )
    async def invite(
        self,
        data: JSONBody[s.InviteBody],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> MessageResponse:
        """Mail an invitation."""
        await gateway.identity.invite_member(principal, email=data.email, role=ROLE_BY_NAME[data.role])
        return MessageResponse(message="Invitation sent")

    @delete(
        "/{userId:str}",
        status_code=200,
        operation_id="RemoveMember",
        description="Removes a member from the tenant. You cannot remove the owner or yourself. Admins can only remove regular users (not other admins).",  # noqa: E501
    )
    async def remove(
        self, userId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> MessageResponse:
        """Remove a member."""
        await gateway.identity.remove_member(principal, user_id=userId)
        return MessageResponse(message="Member removed")

    @patch(
        "/{userId:str}/role",
        operation_id="ChangeMemberRole",
        description="Changes a member's role to admin or user. Only the tenant owner can change roles. To transfer ownership, use the dedicated transfer endpoint instead.",  # noqa: E501
    )
    async def change_role(
        self,
        userId: FromPath[str],
        data: JSONBody[s.RoleBody],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> MessageResponse:
        """Set a member's role."""
        await gateway.identity.change_member_role(principal, user_id=userId, role=ROLE_BY_NAME[data.role])
        return MessageResponse(message="Role updated")

    @post(
        "/{userId:str}/transfer-ownership",
        status_code=200,
        operation_id="TransferOwnership",
        description="Transfers ownership of the tenant to another member. The current owner is demoted to admin. The target user must already be a member of the tenant. This action cannot be undone by the previous owner.",  # noqa: E501
    )
    async def transfer(
        self, userId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> MessageResponse:
        """Make another member the owner."""
        await gateway.identity.transfer_ownership(principal, user_id=userId)
        return MessageResponse(message="Ownership transferred")


ROUTES = [MembersController]
