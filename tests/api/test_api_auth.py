"""Sessions through the gateway: register, login, refresh rotation, logout, lockout, mailed tokens."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.integration

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


async def test_register_login_me_speaks_the_seed_shapes(api) -> None:
    session = await api.register("alice")
    registered = session.body
    assert registered["user"]["email"] == session.email
    assert registered["user"]["displayName"] == "Alice Tester"
    assert registered["user"]["authMethods"] == [{"provider": "password"}]
    assert RFC3339_UTC.match(registered["user"]["createdAt"])
    assert registered["memberships"] == [
        {
            "tenantId": session.tenant_id,
            "tenantName": "Alice's Team",
            "tenantSlug": registered["memberships"][0]["tenantSlug"],
            "role": "owner",
            "isRoot": False,
        }
    ]

    login = await api.login(session.email)
    assert login.status_code == 200
    assert set(login.json()) == {"accessToken", "refreshToken", "user", "memberships"}

    me = await api.client.get("/api/auth/me", headers=api.bearer(login.json()["accessToken"]))
    assert me.status_code == 200
    assert me.json()["user"]["id"] == session.user_id
    assert RFC3339_UTC.match(me.json()["user"]["lastLoginAt"])
    assert me.json()["memberships"][0]["tenantId"] == session.tenant_id


async def test_me_without_or_with_a_bad_token_is_401(api) -> None:
    missing = await api.client.get("/api/auth/me")
    assert (missing.status_code, missing.json()) == (401, {"error": "authentication required"})
    forged = await api.client.get("/api/auth/me", headers=api.bearer("eyJhbGciOiJFZERTQSJ9.e30.c2ln"))
    assert (forged.status_code, forged.json()) == (401, {"error": "invalid or expired token"})


async def test_refresh_rotates_and_a_replay_revokes_the_family(api) -> None:
    session = await api.register("rotor")
    first = await api.client.post("/api/auth/refresh", json={"refreshToken": session.refresh})
    assert first.status_code == 200
    rotated = first.json()["refreshToken"]
    assert rotated != session.refresh

    replay = await api.client.post("/api/auth/refresh", json={"refreshToken": session.refresh})
    assert replay.status_code == 401
    assert set(replay.json()) == {"error"}

    # The replay burnt the whole family, including the token issued by the legitimate rotation.
    after = await api.client.post("/api/auth/refresh", json={"refreshToken": rotated})
    assert after.status_code == 401


async def test_logout_stops_the_access_token_at_once_on_every_replica(api, api_b) -> None:
    session = await api.register("leaver")
    headers = api.bearer(session.access)
    assert (await api.client.get("/api/auth/me", headers=headers)).status_code == 200
    assert (await api_b.client.get("/api/auth/me", headers=headers)).status_code == 200

    out = await api.client.post("/api/auth/logout", headers=headers, json={"refreshToken": session.refresh})
    assert (out.status_code, out.json()) == (200, {"message": "Logged out successfully"})

    on_a = await api.client.get("/api/auth/me", headers=headers)
    on_b = await api_b.client.get("/api/auth/me", headers=headers)
    assert (on_a.status_code, on_a.json()) == (401, {"error": "invalid or expired token"})
    assert (on_b.status_code, on_b.json()) == (401, {"error": "invalid or expired token"})
    refresh = await api.client.post("/api/auth/refresh", json={"refreshToken": session.refresh})
    assert refresh.status_code == 401


async def test_five_failed_logins_lock_the_account_with_retry_after(api) -> None:
    session = await api.register("locked")
    statuses = [(await api.login(session.email, "wrong-password-1")).status_code for _ in range(5)]
    assert statuses[:4] == [401, 401, 401, 401]

    locked = await api.login(session.email)  # even the right password is refused now
    assert locked.status_code == 423
    assert int(locked.headers["Retry-After"]) > 0
    assert isinstance(locked.json()["error"], str)


async def test_verify_email_with_the_mailed_token(api) -> None:
    session = await api.register("verifier")
    token = await api.mail_token(to=session.email, subject_contains="Verify")

    ok = await api.client.post("/api/auth/verify-email", json={"token": token})
    assert (ok.status_code, ok.json()) == (200, {"message": "Email verified successfully"})
    me = await api.client.get("/api/auth/me", headers=api.bearer(session.access))
    assert me.json()["user"]["emailVerified"] is True

    reused = await api.client.post("/api/auth/verify-email", json={"token": token})
    assert 400 <= reused.status_code < 500
    assert set(reused.json()) == {"error"}


async def test_password_reset_with_the_mailed_token_logs_out_every_session(api) -> None:
    session = await api.register("forgetful")
    asked = await api.client.post("/api/auth/forgot-password", json={"email": session.email})
    assert asked.json() == {"message": "If the email exists, a password reset link has been sent"}
    token = await api.mail_token(to=session.email, subject_contains="Reset")

    new_password = "brand-New-pass-7"
    reset = await api.client.post(
        "/api/auth/reset-password", json={"token": token, "newPassword": new_password}
    )
    assert (reset.status_code, reset.json()) == (200, {"message": "Password reset successfully"})

    assert (await api.login(session.email)).status_code == 401
    assert (await api.login(session.email, new_password)).status_code == 200
    stale = await api.client.post("/api/auth/refresh", json={"refreshToken": session.refresh})
    assert stale.status_code == 401
    again = await api.client.post(
        "/api/auth/reset-password", json={"token": token, "newPassword": "x-Another-pass-8"}
    )
    assert 400 <= again.status_code < 500


async def test_resend_and_forgot_answer_identically_for_unknown_emails(api) -> None:
    session = await api.register("known")
    for path in ("/api/auth/resend-verification", "/api/auth/forgot-password"):
        known = await api.client.post(path, json={"email": session.email})
        unknown = await api.client.post(path, json={"email": api.unique_email("nobody")})
        assert known.status_code == unknown.status_code == 200
        assert known.json() == unknown.json()
        assert set(known.json()) == {"message"}


async def test_change_password_checks_the_current_one(api) -> None:
    session = await api.register("changer")
    headers = api.bearer(session.access)
    wrong = await api.client.post(
        "/api/auth/change-password",
        headers=headers,
        json={"currentPassword": "not-my-password", "newPassword": "next-Pass-word-3"},
    )
    assert 400 <= wrong.status_code < 500
    ok = await api.client.post(
        "/api/auth/change-password",
        headers=headers,
        json={"currentPassword": api.PASSWORD, "newPassword": "next-Pass-word-3"},
    )
    assert (ok.status_code, ok.json()) == (200, {"message": "Password changed successfully"})
    assert (await api.login(session.email, "next-Pass-word-3")).status_code == 200


async def test_logout_without_a_body_revokes_only_the_access_token(api) -> None:
    session = await api.register("quiet-leaver")
    out = await api.client.post("/api/auth/logout", headers=api.bearer(session.access))
    assert (out.status_code, out.json()) == (200, {"message": "Logged out successfully"})
    assert (await api.client.get("/api/auth/me", headers=api.bearer(session.access))).status_code == 401
    # No refresh token was named, so the session can still be renewed with it.
    renewed = await api.client.post("/api/auth/refresh", json={"refreshToken": session.refresh})
    assert renewed.status_code == 200
    fresh = renewed.json()["accessToken"]
    assert (await api.client.get("/api/auth/me", headers=api.bearer(fresh))).status_code == 200
