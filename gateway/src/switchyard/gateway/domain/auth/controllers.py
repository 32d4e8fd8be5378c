"""``/api/auth/*``: sessions, email verification, password reset, profile, invitations."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from switchyard.gateway.auth.deps import PUBLIC, AnyRequest
from switchyard.gateway.auth.deps import USER as USER_AUTH
from switchyard.gateway.auth.epoch import revoke_token
from switchyard.gateway.domain.auth import schemas as s
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.ratelimit import RATE_LIMIT_OPT, rate_limit_guard
from switchyard.gateway.schema import MessageResponse
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import USER, Principal

SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


class PublicAuthController(Controller):
    """Routes that open a session or act on a mailed token; rate-limited per client IP."""

    path = "/api/auth"
    tags = ["Authentication"]
    dependencies = PUBLIC
    guards = [rate_limit_guard]

    @post(
        "/register",
        status_code=201,
        operation_id="Register",
        opt={RATE_LIMIT_OPT: "register"},
        description="Creates a new user account with email and password. If an invitation token is provided, the user is automatically added to the inviting tenant. A personal tenant is always created for the new user. Returns access and refresh tokens plus the user profile and tenant memberships.",  # noqa: E501
    )
    async def register(
        self,
        data: JSONBody[s.RegisterBody],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Session:
        """Create an account and its personal tenant."""
        response = await gateway.identity.register(
            principal,
            email=data.email,
            password=data.password,
            display_name=data.display_name,
            invitation_token=data.invitation_token,
        )
        return s.session_from_pb(response)

    @post(
        "/login",
        status_code=200,
        operation_id="Login",
        opt={RATE_LIMIT_OPT: "login"},
        description="Authenticates a user with email and password. Returns JWT access and refresh tokens. Account is locked for 15 minutes after 5 consecutive failed attempts.",  # noqa: E501
    )
    async def login(
        self,
        data: JSONBody[s.LoginBody],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Session:
        """Open a session with a password."""
        response = await gateway.identity.login(principal, email=data.email, password=data.password)
        return s.session_from_pb(response)

    @post(
        "/refresh",
        status_code=200,
        operation_id="RefreshToken",
        opt={RATE_LIMIT_OPT: "refresh"},
        description="Exchanges a valid refresh token for a new access/refresh token pair. The old refresh token is revoked (rotation). Use this when the access token expires.",  # noqa: E501
    )
    async def refresh(
        self,
        data: JSONBody[s.RefreshBody],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Session:
        """Rotate a refresh token."""
        response = await gateway.identity.refresh_token(principal, refresh_token=data.refresh_token)
        return s.session_from_pb(response)

    @post(
        "/verify-email",
        status_code=200,
        operation_id="VerifyEmail",
        opt={RATE_LIMIT_OPT: "verify-email"},
        description="Confirms the user's email address using a token sent via email. The token is single-use and expires after 24 hours.",  # noqa: E501
    )
    async def verify_email(
        self,
        data: JSONBody[s.TokenBody],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> MessageResponse:
        """Consume a verification token."""
        await gateway.identity.verify_email(principal, token=data.token)
        return MessageResponse(message="Email verified successfully")

    @post(
        "/resend-verification",
        status_code=200,
        operation_id="ResendVerification",
        opt={RATE_LIMIT_OPT: "resend-verification"},
        description="Sends a new verification email to the specified address. Rate-limited to one request per 60 seconds per email. Returns a success message regardless of whether the email exists (prevents enumeration).",  # noqa: E501
    )
    async def resend_verification(
        self,
        data: JSONBody[s.EmailBody],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> MessageResponse:
        """Mail a new verification token."""
        await gateway.identity.resend_verification(principal, email=data.email)
        return MessageResponse(message="If the email exists, a verification link has been sent")

    @post(
        "/forgot-password",
        status_code=200,
        operation_id="ForgotPassword",
        opt={RATE_LIMIT_OPT: "forgot-password"},
        description="Sends a password reset email to the specified address. Returns a success message regardless of whether the email exists (prevents enumeration). Only works for accounts with password authentication enabled.",  # noqa: E501
    )
    async def forgot_password(
        self,
        data: JSONBody[s.EmailBody],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> MessageResponse:
        """Mail a reset token."""
        await gateway.identity.forgot_password(principal, email=data.email)
        return MessageResponse(message="If the email exists, a password reset link has been sent")

    @post(
        "/reset-password",
        status_code=200,
        operation_id="ResetPassword",
        opt={RATE_LIMIT_OPT: "reset-password"},
        description="Resets the user's password using a token from the reset email. All existing refresh tokens are revoked (logs out all sessions). The token is single-use.",  # noqa: E501
    )
    async def reset_password(
        self,
        data: JSONBody[s.ResetPasswordBody],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> MessageResponse:
        """Consume a reset token."""
        await gateway.identity.reset_password(principal, token=data.token, new_password=data.new_password)
        return MessageResponse(message="Password reset successfully")


class SessionController(Controller):
    """Routes of a signed-in user."""

    path = "/api/auth"
    tags = ["Authentication"]
    dependencies = USER_AUTH
    security = SECURITY

    @get(
        "/me",
        operation_id="GetMe",
        description="Returns the authenticated user's profile and all tenant memberships. Use this to hydrate the session after login or page refresh.",  # noqa: E501
    )
    async def me(
        self, request: AnyRequest, principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.Me:
        """The caller's profile (served from the epoch-tagged edge cache when current)."""

        async def fetch() -> s.Me:
            response = await gateway.identity.get_me(principal)
            return s.Me(
                user=s.user_from_pb(response.user), memberships=s.memberships_from_pb(response.memberships)
            )

        return await gateway.reads.get_or_fetch(("me", principal.user_id), request.scope, fetch)

    @post(
        "/logout",
        status_code=200,
        operation_id="Logout",
        description="Revokes the current access token. If a refresh token is provided in the body, it is also revoked.",  # noqa: E501
    )
    async def logout(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        data: JSONBody[s.LogoutBody | None] = None,
    ) -> MessageResponse:
        """Revoke the access token here and now, on every replica."""
        if principal.kind != USER:
            raise GatewayError(400, "logout needs an access token")
        refresh = data.refresh_token if data else ""
        response = await gateway.identity.logout(principal, refresh_token=refresh)
        expires = response.access_token_expires_at.seconds or principal.token_expires_at
        token_id = response.access_token_id or principal.token_id
        await revoke_token(gateway.redis, token_id=token_id, expires_at=float(expires))
        return MessageResponse(message="Logged out successfully")

    @post(
        "/change-password",
        status_code=200,
        operation_id="ChangePassword",
        description="Changes the authenticated user's password. If the user already has a password, the current password must be provided. For Google-only accounts adding a password for the first time, the current password field can be omitted.",  # noqa: E501
    )
    async def change_password(
        self,
        data: JSONBody[s.ChangePasswordBody],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> MessageResponse:
        """Set a new password."""
        await gateway.identity.change_password(
            principal, current_password=data.current_password, new_password=data.new_password
        )
        return MessageResponse(message="Password changed successfully")

    @post(
        "/accept-invitation",
        status_code=200,
        operation_id="AcceptInvitation",
        description="Accepts a pending invitation to join a tenant. The invitation token comes from the invitation email. The user is added to the tenant with the role specified in the invitation. Returns updated memberships.",  # noqa: E501
    )
    async def accept_invitation(
        self,
        data: JSONBody[s.TokenBody],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.InvitationAccepted:
        """Join the inviting tenant."""
        response = await gateway.identity.accept_invitation(principal, token=data.token)
        return s.InvitationAccepted(
            message="Invitation accepted", memberships=s.memberships_from_pb(response.memberships)
        )


ROUTES = [PublicAuthController, SessionController]
