"""Account and session RPCs: pb <-> domain only."""

from __future__ import annotations

from switchyard.grpckit.principal import get_principal
from switchyard.identity.rpc import _mapping as m
from switchyard.identity.rpc._base import Context, ServicerBase
from switchyard.identity.v1 import identity_pb2 as pb
from switchyard.identity.v1 import identity_service_pb2 as svc


class AuthRpc(ServicerBase):
    """Register, Login, RefreshToken, Logout, GetMe, ChangePassword, email flows, GetJwks."""

    async def Register(self, request: svc.RegisterRequest, context: Context) -> svc.RegisterResponse:
        """Create a user and their personal tenant."""
        get_principal()  # anonymous is fine; reading it keeps every RPC principal-aware
        session = await self._s.auth.register(
            email=request.email,
            password=request.password,
            display_name=request.display_name,
            invitation_token=request.invitation_token,
        )
        return svc.RegisterResponse(
            tokens=m.tokens(session.tokens),
            user=m.user(session.user),
            memberships=m.memberships(session.memberships),
        )

    async def Login(self, request: svc.LoginRequest, context: Context) -> svc.LoginResponse:
        """Check a password and open a session."""
        get_principal()
        session = await self._s.auth.login(email=request.email, password=request.password)
        return svc.LoginResponse(
            tokens=m.tokens(session.tokens),
            user=m.user(session.user),
            memberships=m.memberships(session.memberships),
        )

    async def RefreshToken(
        self, request: svc.RefreshTokenRequest, context: Context
    ) -> svc.RefreshTokenResponse:
        """Rotate a refresh token."""
        get_principal()
        session = await self._s.auth.refresh(refresh_token=request.refresh_token)
        return svc.RefreshTokenResponse(
            tokens=m.tokens(session.tokens),
            user=m.user(session.user),
            memberships=m.memberships(session.memberships),
        )

    async def Logout(self, request: svc.LogoutRequest, context: Context) -> svc.LogoutResponse:
        """Revoke the caller's access token (and a refresh token)."""
        out = await self._s.auth.logout(principal=get_principal(), refresh_token=request.refresh_token)
        return svc.LogoutResponse(
            access_token_id=out.access_token_id, access_token_expires_at=m.ts(out.access_token_expires_at)
        )

    async def GetMe(self, request: svc.GetMeRequest, context: Context) -> svc.GetMeResponse:
        """The caller's profile and memberships."""
        me = await self._s.users.get_me(principal=get_principal())
        return svc.GetMeResponse(user=m.user(me.user), memberships=m.memberships(me.memberships))

    async def ChangePassword(
        self, request: svc.ChangePasswordRequest, context: Context
    ) -> svc.ChangePasswordResponse:
        """Set a new password."""
        await self._s.users.change_password(
            principal=get_principal(),
            current_password=request.current_password,
            new_password=request.new_password,
        )
        return svc.ChangePasswordResponse()

    async def VerifyEmail(self, request: svc.VerifyEmailRequest, context: Context) -> svc.VerifyEmailResponse:
        """Consume a verification token."""
        get_principal()
        await self._s.users.verify_email(token=request.token)
        return svc.VerifyEmailResponse()

    async def ResendVerification(
        self, request: svc.ResendVerificationRequest, context: Context
    ) -> svc.ResendVerificationResponse:
        """Mail a new verification token (silently rate-limited)."""
        get_principal()
        await self._s.users.resend_verification(email=request.email)
        return svc.ResendVerificationResponse()

    async def ForgotPassword(
        self, request: svc.ForgotPasswordRequest, context: Context
    ) -> svc.ForgotPasswordResponse:
        """Mail a reset token when the account exists."""
        get_principal()
        await self._s.users.forgot_password(email=request.email)
        return svc.ForgotPasswordResponse()

    async def ResetPassword(
        self, request: svc.ResetPasswordRequest, context: Context
    ) -> svc.ResetPasswordResponse:
        """Consume a reset token and set the password."""
        get_principal()
        await self._s.users.reset_password(token=request.token, new_password=request.new_password)
        return svc.ResetPasswordResponse()

    async def GetJwks(self, request: svc.GetJwksRequest, context: Context) -> svc.GetJwksResponse:
        """The public signing keys."""
        jwks = self._s.tokens.jwks(principal=get_principal())
        return svc.GetJwksResponse(
            keys=[pb.Jwk(**key) for key in jwks.keys], issuer=jwks.issuer, audience=jwks.audience
        )
