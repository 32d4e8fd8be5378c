"""Email verification, resend rate limit, forgot/reset password over real gRPC and SMTP."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import text
from switchyard.identity.v1 import identity_service_pb2 as svc

pytestmark = pytest.mark.integration

VERIFY = "Verify your email"
RESET = "Reset your password"


def mails_to(smtp_sink, email: str, subject: str) -> list:
    return [m for m in list(smtp_sink.messages) if m["To"] == email and subject in str(m["Subject"])]


async def test_verify_email_is_single_use(identity, smtp_sink) -> None:
    account = await identity.register()
    token = identity.token_from(await smtp_sink.wait_for(to=account.email, subject_contains=VERIFY))
    await identity.call("VerifyEmail", svc.VerifyEmailRequest(token=token))
    me = await identity.call("GetMe", svc.GetMeRequest(), identity.user(account))
    assert me.user.email_verified is True
    again = await identity.fails("VerifyEmail", svc.VerifyEmailRequest(token=token))
    assert (again.code(), again.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "invalid or expired token")
    bogus = await identity.fails("VerifyEmail", svc.VerifyEmailRequest(token="bogus"))
    assert bogus.details() == "invalid or expired token"


async def test_expired_verification_token_fails(identity, smtp_sink, db) -> None:
    account = await identity.register()
    token = identity.token_from(await smtp_sink.wait_for(to=account.email, subject_contains=VERIFY))
    async with db.begin() as conn:
        await conn.execute(
            text(
                "UPDATE identity.email_tokens SET expires_at = now() - interval '1 second'"
                " WHERE user_id = :u AND purpose = 'verify'"
            ),
            {"u": account.user_id},
        )
    error = await identity.fails("VerifyEmail", svc.VerifyEmailRequest(token=token))
    assert error.details() == "invalid or expired token"


async def test_resend_sends_a_new_token_at_most_once_a_minute(identity, smtp_sink) -> None:
    account = await identity.register()
    first = identity.token_from(await smtp_sink.wait_for(to=account.email, subject_contains=VERIFY))
    await identity.call("ResendVerification", svc.ResendVerificationRequest(email=account.email.upper()))
    await identity.call("ResendVerification", svc.ResendVerificationRequest(email=account.email))
    sent = mails_to(smtp_sink, account.email, VERIFY)
    assert len(sent) == 2
    second = identity.token_from(sent[-1])
    assert second != first
    await identity.call("VerifyEmail", svc.VerifyEmailRequest(token=second))


async def test_resend_and_forgot_answer_the_same_for_unknown_emails(identity, smtp_sink) -> None:
    ghost = identity.email("ghost")
    assert await identity.call("ResendVerification", svc.ResendVerificationRequest(email=ghost)) == (
        svc.ResendVerificationResponse()
    )
    assert await identity.call("ForgotPassword", svc.ForgotPasswordRequest(email=ghost)) == (
        svc.ForgotPasswordResponse()
    )
    # A known email gets the same empty answer (and a mail), so answers reveal nothing.
    account = await identity.register()
    assert await identity.call("ForgotPassword", svc.ForgotPasswordRequest(email=account.email)) == (
        svc.ForgotPasswordResponse()
    )
    await smtp_sink.wait_for(to=account.email, subject_contains=RESET)
    assert mails_to(smtp_sink, ghost, "") == []


async def test_reset_password_sets_it_clears_lockout_and_ends_sessions(identity, smtp_sink, db) -> None:
    account = await identity.register()
    async with db.begin() as conn:
        await conn.execute(
            text(
                "UPDATE identity.users SET failed_login_attempts = 5,"
                " locked_until = now() + interval '15 minutes' WHERE id = :u"
            ),
            {"u": account.user_id},
        )
    await identity.call("ForgotPassword", svc.ForgotPasswordRequest(email=account.email))
    mail = await smtp_sink.wait_for(to=account.email, subject_contains=RESET)
    token = identity.token_from(mail)
    assert f"http://app.test/reset-password?token={token}" in mail.get_content()

    short = await identity.fails("ResetPassword", svc.ResetPasswordRequest(token=token, new_password="short"))
    assert short.details() == "newPassword must be at least 8 characters"
    await identity.call("ResetPassword", svc.ResetPasswordRequest(token=token, new_password="a-new-password"))
    await identity.call("Login", svc.LoginRequest(email=account.email, password="a-new-password"))
    revoked = await identity.fails(
        "RefreshToken", svc.RefreshTokenRequest(refresh_token=account.refresh_token)
    )
    assert revoked.code() == grpc.StatusCode.UNAUTHENTICATED
    again = await identity.fails(
        "ResetPassword", svc.ResetPasswordRequest(token=token, new_password="another-one1")
    )
    assert (again.code(), again.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "invalid or expired token")


async def test_verification_token_cannot_reset_a_password(identity, smtp_sink) -> None:
    account = await identity.register()
    token = identity.token_from(await smtp_sink.wait_for(to=account.email, subject_contains=VERIFY))
    error = await identity.fails(
        "ResetPassword", svc.ResetPasswordRequest(token=token, new_password="whatever-99")
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
