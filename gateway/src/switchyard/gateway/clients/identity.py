"""The identity service as the gateway sees it: one method per RPC.

Every method signs the caller's principal into the metadata (``x-switchyard-principal``), forwards the
request id and sets the deadline, so handlers never build stubs or metadata themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from switchyard.gateway.clients._base import ServiceClient
from switchyard.grpckit.principal import SERVICE, Principal
from switchyard.identity.v1 import identity_service_pb2 as pb
from switchyard.identity.v1 import identity_service_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    pass


class IdentityClient(ServiceClient):
    """Async client of ``switchyard.identity.v1.IdentityService``.

    Args:
        channel: A channel to identity (round robin over its replicas).
        signer: Signs the principal of each call.
        timeout: Deadline of each call, in seconds.
    """

    stub_type = pb_grpc.IdentityServiceStub

    # Public routes (anonymous principal).
    async def register(self, principal: Principal, **fields: Any) -> pb.RegisterResponse:
        """Register a user (email, password, display_name, invitation_token)."""
        result: pb.RegisterResponse = await self._call("Register", pb.RegisterRequest(**fields), principal)
        return result

    async def login(self, principal: Principal, *, email: str, password: str) -> pb.LoginResponse:
        """Check a password and open a session."""
        request = pb.LoginRequest(email=email, password=password)
        result: pb.LoginResponse = await self._call("Login", request, principal)
        return result

    async def refresh_token(self, principal: Principal, *, refresh_token: str) -> pb.RefreshTokenResponse:
        """Rotate a refresh token."""
        request = pb.RefreshTokenRequest(refresh_token=refresh_token)
        result: pb.RefreshTokenResponse = await self._call("RefreshToken", request, principal)
        return result

    async def verify_email(self, principal: Principal, *, token: str) -> None:
        """Consume an email verification token."""
        await self._call("VerifyEmail", pb.VerifyEmailRequest(token=token), principal)

    async def resend_verification(self, principal: Principal, *, email: str) -> None:
        """Mail a new verification token."""
        await self._call("ResendVerification", pb.ResendVerificationRequest(email=email), principal)

    async def forgot_password(self, principal: Principal, *, email: str) -> None:
        """Mail a password reset token."""
        await self._call("ForgotPassword", pb.ForgotPasswordRequest(email=email), principal)

    async def reset_password(self, principal: Principal, *, token: str, new_password: str) -> None:
        """Consume a reset token and set the new password."""
        request = pb.ResetPasswordRequest(token=token, new_password=new_password)
        await self._call("ResetPassword", request, principal)

    # Signed-in user.
    async def get_me(self, principal: Principal) -> pb.GetMeResponse:
        """The caller's profile and memberships."""
        result: pb.GetMeResponse = await self._call("GetMe", pb.GetMeRequest(), principal)
        return result

    async def logout(self, principal: Principal, *, refresh_token: str) -> pb.LogoutResponse:
        """Revoke the caller's access token (and a refresh token when given)."""
        request = pb.LogoutRequest(refresh_token=refresh_token)
        result: pb.LogoutResponse = await self._call("Logout", request, principal)
        return result

    async def change_password(
        self, principal: Principal, *, current_password: str, new_password: str
    ) -> None:
        """Set a new password."""
        request = pb.ChangePasswordRequest(current_password=current_password, new_password=new_password)
        await self._call("ChangePassword", request, principal)

    async def accept_invitation(self, principal: Principal, *, token: str) -> pb.AcceptInvitationResponse:
        """Join the inviting tenant."""
        request = pb.AcceptInvitationRequest(token=token)
        result: pb.AcceptInvitationResponse = await self._call("AcceptInvitation", request, principal)
        return result

    # Tenant members (tenant from the principal).
    async def list_members(self, principal: Principal) -> pb.ListMembersResponse:
        """Members of the principal's tenant."""
        result: pb.ListMembersResponse = await self._call("ListMembers", pb.ListMembersRequest(), principal)
        return result

    async def invite_member(self, principal: Principal, *, email: str, role: int) -> pb.InviteMemberResponse:
        """Mail an invitation."""
        request = pb.InviteMemberRequest(email=email, role=role)  # type: ignore[arg-type]
        result: pb.InviteMemberResponse = await self._call("InviteMember", request, principal)
        return result

    async def remove_member(self, principal: Principal, *, user_id: str) -> None:
        """Remove a member."""
        await self._call("RemoveMember", pb.RemoveMemberRequest(user_id=user_id), principal)

    async def change_member_role(self, principal: Principal, *, user_id: str, role: int) -> None:
        """Set a member's role."""
        request = pb.ChangeMemberRoleRequest(user_id=user_id, role=role)  # type: ignore[arg-type]
        await self._call("ChangeMemberRole", request, principal)

    async def transfer_ownership(self, principal: Principal, *, user_id: str) -> None:
        """Make another member the owner."""
        await self._call("TransferOwnership", pb.TransferOwnershipRequest(user_id=user_id), principal)

    # Messages (the caller's inbox).
    async def list_messages(self, principal: Principal) -> pb.ListMessagesResponse:
        """The caller's messages, newest first."""
        result: pb.ListMessagesResponse = await self._call(
            "ListMessages", pb.ListMessagesRequest(), principal
        )
        return result

    async def get_unread_count(self, principal: Principal) -> int:
        """Number of unread messages."""
        result: pb.GetUnreadCountResponse = await self._call(
            "GetUnreadCount", pb.GetUnreadCountRequest(), principal
        )
        return int(result.count)

    async def mark_message_read(self, principal: Principal, *, message_id: str) -> None:
        """Mark one message read."""
        await self._call("MarkMessageRead", pb.MarkMessageReadRequest(message_id=message_id), principal)

    # Admin API keys (lsk_).
    async def list_api_keys(self, principal: Principal) -> pb.ListApiKeysResponse:
        """Active admin API keys."""
        result: pb.ListApiKeysResponse = await self._call("ListApiKeys", pb.ListApiKeysRequest(), principal)
        return result

    async def create_api_key(
        self, principal: Principal, *, name: str, authority: int
    ) -> pb.CreateApiKeyResponse:
        """Create an lsk_ key."""
        request = pb.CreateApiKeyRequest(name=name, authority=authority)  # type: ignore[arg-type]
        result: pb.CreateApiKeyResponse = await self._call("CreateApiKey", request, principal)
        return result

    async def delete_api_key(self, principal: Principal, *, key_id: str) -> None:
        """Soft-delete an lsk_ key."""
        await self._call("DeleteApiKey", pb.DeleteApiKeyRequest(key_id=key_id), principal)

    # Org keys (rsk_live_).
    async def list_org_keys(self, principal: Principal, *, org_id: str) -> pb.ListOrgKeysResponse:
        """An org's active keys."""
        result: pb.ListOrgKeysResponse = await self._call(
            "ListOrgKeys", pb.ListOrgKeysRequest(org_id=org_id), principal
        )
        return result

    async def create_org_key(
        self, principal: Principal, request: pb.CreateOrgKeyRequest
    ) -> pb.CreateOrgKeyResponse:
        """Create an rsk_live_ key."""
        result: pb.CreateOrgKeyResponse = await self._call("CreateOrgKey", request, principal)
        return result

    async def revoke_org_key(self, principal: Principal, *, org_id: str, key_id: str) -> None:
        """Soft-delete an rsk_live_ key."""
        await self._call("RevokeOrgKey", pb.RevokeOrgKeyRequest(org_id=org_id, key_id=key_id), principal)

    # OAuth2 client-credentials (M2M) clients of the principal's org.
    async def create_m2m_client(
        self, principal: Principal, *, org_id: str, name: str, scopes: list[str]
    ) -> pb.CreateM2mClientResponse:
        """Create an M2M client; the secret is in this response only."""
        request = pb.CreateM2mClientRequest(org_id=org_id, name=name, scopes=scopes)
        result: pb.CreateM2mClientResponse = await self._call("CreateM2mClient", request, principal)
        return result

    async def list_m2m_clients(self, principal: Principal, *, org_id: str) -> pb.ListM2mClientsResponse:
        """An org's active M2M clients."""
        request = pb.ListM2mClientsRequest(org_id=org_id)
        result: pb.ListM2mClientsResponse = await self._call("ListM2mClients", request, principal)
        return result

    async def revoke_m2m_client(
        self, principal: Principal, *, org_id: str, client_id: str
    ) -> pb.RevokeM2mClientResponse:
        """Revoke an M2M client; says until when its issued tokens would still verify."""
        request = pb.RevokeM2mClientRequest(org_id=org_id, client_id=client_id)
        result: pb.RevokeM2mClientResponse = await self._call("RevokeM2mClient", request, principal)
        return result

    # Called by the gateway on its own behalf (service principal).
    async def resolve_tenant_access(
        self, *, request_id: str, user_id: str, tenant_id: str
    ) -> pb.ResolveTenantAccessResponse:
        """The user's role in the tenant (or the ``root`` alias); NOT_FOUND when not a member."""
        request = pb.ResolveTenantAccessRequest(user_id=user_id, tenant_id=tenant_id)
        result: pb.ResolveTenantAccessResponse = await self._call(
            "ResolveTenantAccess", request, Principal(kind=SERVICE, request_id=request_id)
        )
        return result

    async def authenticate_api_key(self, *, request_id: str, raw_key: str) -> pb.AuthenticateApiKeyResponse:
        """What a raw lsk_/rsk_live_ key may do; UNAUTHENTICATED when nothing."""
        request = pb.AuthenticateApiKeyRequest(raw_key=raw_key)
        result: pb.AuthenticateApiKeyResponse = await self._call(
            "AuthenticateApiKey", request, Principal(kind=SERVICE, request_id=request_id)
        )
        return result

    async def issue_m2m_token(
        self, *, request_id: str, grant_type: str, client_id: str, client_secret: str
    ) -> pb.IssueM2mTokenResponse:
        """Exchange client credentials for an M2M token (the OAuth2 token endpoint)."""
        request = pb.IssueM2mTokenRequest(
            grant_type=grant_type, client_id=client_id, client_secret=client_secret
        )
        result: pb.IssueM2mTokenResponse = await self._call(
            "IssueM2mToken", request, Principal(kind=SERVICE, request_id=request_id)
        )
        return result

    async def get_jwks(self, *, request_id: str) -> pb.GetJwksResponse:
        """Public keys, issuer and audience of access tokens."""
        result: pb.GetJwksResponse = await self._call(
            "GetJwks", pb.GetJwksRequest(), Principal(kind=SERVICE, request_id=request_id)
        )
        return result
