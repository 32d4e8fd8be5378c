"""The text of every mail identity sends. Tokens appear once as a line and once in a link."""

from __future__ import annotations

from switchyard.identity.domain.ports import Mail

VERIFY_SUBJECT = "Verify your email"
RESET_SUBJECT = "Reset your password"


def _link(app_url: str, path: str) -> str:
    return f"{app_url.rstrip('/')}/{path}"


def verification(*, to: str, token: str, app_url: str) -> Mail:
    """The mail that proves a mailbox (token valid 24 hours)."""
    link = _link(app_url, f"verify-email?token={token}")
    body = (
        "Please confirm your email address for Switchyard.\n\n"
        f"Open this link within 24 hours:\n{link}\n\n"
        f"Token: {token}\n"
    )
    return Mail(to=to, subject=VERIFY_SUBJECT, body=body)


def password_reset(*, to: str, token: str, app_url: str) -> Mail:
    """The mail that lets a user choose a new password (token valid 1 hour)."""
    link = _link(app_url, f"reset-password?token={token}")
    body = (
        "Someone asked to reset your Switchyard password. If it was not you, ignore this mail.\n\n"
        f"Open this link within 1 hour:\n{link}\n\n"
        f"Token: {token}\n"
    )
    return Mail(to=to, subject=RESET_SUBJECT, body=body)


def invitation(*, to: str, token: str, app_url: str, tenant_name: str, existing_user: bool) -> Mail:
    """An invitation: a join link for existing users, a signup-and-join link for new emails."""
    path = f"accept-invitation?token={token}" if existing_user else f"signup?invitation={token}"
    action = "Accept the invitation" if existing_user else "Create your account and join"
    body = (
        f"You have been invited to join {tenant_name} on Switchyard.\n\n"
        f"{action} within 7 days:\n{_link(app_url, path)}\n\n"
        f"Token: {token}\n"
    )
    return Mail(to=to, subject=f"You're invited to join {tenant_name}", body=body)
