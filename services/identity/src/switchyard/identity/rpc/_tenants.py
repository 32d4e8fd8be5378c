"""Tenant, member and message RPCs: pb <-> domain only."""

from __future__ import annotations

from switchyard.grpckit.principal import get_principal
from switchyard.identity.rpc import _mapping as m
from switchyard.identity.rpc._base import Context, ServicerBase
from switchyard.identity.v1 import identity_service_pb2 as svc


class TenantRpc(ServicerBase):
    """Members, invitations, tenant access and the inbox."""

    async def AcceptInvitation(
        self, request: svc.AcceptInvitationRequest, context: Context
    ) -> svc.AcceptInvitationResponse:
        """Join the inviting tenant."""
        views = await self._s.tenants.accept_invitation(principal=get_principal(), token=request.token)
        return svc.AcceptInvitationResponse(memberships=m.memberships(views))

    async def ResolveTenantAccess(
        self, request: svc.ResolveTenantAccessRequest, context: Context
    ) -> svc.ResolveTenantAccessResponse:
        """A user's role in a tenant, for the gateway."""
        access = await self._s.tenants.resolve_access(
            principal=get_principal(), user_id=request.user_id, tenant_id=request.tenant_id
        )
        return svc.ResolveTenantAccessResponse(
            role=m.ROLE_TO_PB[access.role],
            is_root=access.is_root,
            tenant_active=access.tenant_active,
            tenant_id=access.tenant_id,
        )

    async def ListMembers(self, request: svc.ListMembersRequest, context: Context) -> svc.ListMembersResponse:
        """The members of the principal's tenant."""
        views = await self._s.tenants.list_members(principal=get_principal())
        return svc.ListMembersResponse(members=[m.member(v) for v in views])

    async def InviteMember(
        self, request: svc.InviteMemberRequest, context: Context
    ) -> svc.InviteMemberResponse:
        """Invite an email to the principal's tenant."""
        sent = await self._s.tenants.invite_member(
            principal=get_principal(), email=request.email, role=m.role_name(request.role)
        )
        return svc.InviteMemberResponse(invitation_id=sent.invitation_id, expires_at=m.ts(sent.expires_at))

    async def RemoveMember(
        self, request: svc.RemoveMemberRequest, context: Context
    ) -> svc.RemoveMemberResponse:
        """Remove a member."""
        await self._s.tenants.remove_member(principal=get_principal(), user_id=request.user_id)
        return svc.RemoveMemberResponse()

    async def ChangeMemberRole(
        self, request: svc.ChangeMemberRoleRequest, context: Context
    ) -> svc.ChangeMemberRoleResponse:
        """Change a member's role."""
        await self._s.tenants.change_member_role(
            principal=get_principal(), user_id=request.user_id, role=m.role_name(request.role)
        )
        return svc.ChangeMemberRoleResponse()

    async def TransferOwnership(
        self, request: svc.TransferOwnershipRequest, context: Context
    ) -> svc.TransferOwnershipResponse:
        """Hand the tenant to another member."""
        await self._s.tenants.transfer_ownership(principal=get_principal(), user_id=request.user_id)
        return svc.TransferOwnershipResponse()

    async def ListMessages(
        self, request: svc.ListMessagesRequest, context: Context
    ) -> svc.ListMessagesResponse:
        """The caller's newest messages."""
        views = await self._s.messages.list_messages(principal=get_principal())
        return svc.ListMessagesResponse(messages=[m.message(v) for v in views])

    async def GetUnreadCount(
        self, request: svc.GetUnreadCountRequest, context: Context
    ) -> svc.GetUnreadCountResponse:
        """How many messages are unread."""
        return svc.GetUnreadCountResponse(
            count=await self._s.messages.unread_count(principal=get_principal())
        )

    async def MarkMessageRead(
        self, request: svc.MarkMessageReadRequest, context: Context
    ) -> svc.MarkMessageReadResponse:
        """Mark one message read."""
        await self._s.messages.mark_read(principal=get_principal(), message_id=request.message_id)
        return svc.MarkMessageReadResponse()
