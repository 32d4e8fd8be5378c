"""Refresh rotation and reuse detection, logout, GetMe and ChangePassword over real gRPC."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import jwt
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import text
from switchyard.bus import connect
from switchyard.grpckit.principal import Principal
from switchyard.identity.v1 import events_pb2
from switchyard.identity.v1 import identity_pb2 as pb
from switchyard.identity.v1 import identity_service_pb2 as svc

pytestmark = pytest.mark.integration


def refresh(token: str) -> svc.RefreshTokenRequest:
    return svc.RefreshTokenRequest(refresh_token=token)


async def test_refresh_rotates_and_reuse_revokes_the_family(identity) -> None:
    account = await identity.register()
    first = await identity.call("RefreshToken", refresh(account.refresh_token))
    assert first.user.id == account.user_id
    assert first.tokens.refresh_token != account.refresh_token
    second = await identity.call("RefreshToken", refresh(first.tokens.refresh_token))

    reused = await identity.fails("RefreshToken", refresh(account.refresh_token))
    assert reused.code() == grpc.StatusCode.UNAUTHENTICATED
    assert reused.details() == "refresh token reuse detected"
    # The newest token of the family dies with it.
    newest = await identity.fails("RefreshToken", refresh(second.tokens.refresh_token))
    assert newest.code() == grpc.StatusCode.UNAUTHENTICATED
    # Another session (another family) of the same user is untouched.
    other = await identity.call("Login", svc.LoginRequest(email=account.email, password=identity.password))
    await identity.call("RefreshToken", refresh(other.tokens.refresh_token))


async def test_forged_and_malformed_refresh_tokens_are_unauthenticated(identity) -> None:
    account = await identity.register()
    claims = jwt.decode(account.refresh_token, options={"verify_signature": False})
    header = jwt.get_unverified_header(account.refresh_token)
    forged = jwt.encode(claims, "not-the-key" * 4, algorithm="HS256", headers={"kid": header["kid"]})
    for token in (forged, "garbage", account.access_token):
        error = await identity.fails("RefreshToken", refresh(token))
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    missing = await identity.fails("RefreshToken", refresh(""))
    assert missing.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert missing.details() == "refreshToken is required"


async def test_logout_revokes_access_and_own_refresh_token(identity, db, nats_url) -> None:
    account = await identity.register()
    principal = identity.user(account)
    nc = await connect(nats_url, name="identity-test-logout")
    try:
        js = nc.jetstream()
        sub = await js.subscribe(
            "identity.token.revoked",
            stream="IDENTITY",
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
        )
        response = await identity.call(
            "Logout", svc.LogoutRequest(refresh_token=account.refresh_token), principal
        )
        assert response.access_token_id == principal.token_id
        assert int(response.access_token_expires_at.seconds) == int(principal.token_expires_at)
        while True:
            msg = await sub.next_msg(timeout=10)
            event = events_pb2.TokenRevoked.FromString(msg.data)
            await msg.ack()
            if event.token_id == principal.token_id:
                break
        assert event.user_id == account.user_id
        await sub.unsubscribe()
    finally:
        await nc.close()
    async with db.connect() as conn:
        stored = await conn.scalar(
            text("SELECT count(*) FROM identity.revoked_access_tokens WHERE jti = :j"),
            {"j": principal.token_id},
        )
    assert stored == 1
    error = await identity.fails("RefreshToken", refresh(account.refresh_token))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_logout_leaves_someone_elses_refresh_token_alone(identity) -> None:
    alice = await identity.register()
    bob = await identity.register()
    await identity.call("Logout", svc.LogoutRequest(refresh_token=bob.refresh_token), identity.user(alice))
    await identity.call("RefreshToken", refresh(bob.refresh_token))


async def test_user_rpcs_need_a_user(identity) -> None:
    for method, request in [
        ("GetMe", svc.GetMeRequest()),
        ("Logout", svc.LogoutRequest()),
        ("ChangePassword", svc.ChangePasswordRequest(new_password="whatever-123")),
        ("ListMessages", svc.ListMessagesRequest()),
        ("AcceptInvitation", svc.AcceptInvitationRequest(token="x")),
    ]:
        error = await identity.fails(method, request)
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED, method


async def test_get_me_returns_profile_and_memberships(identity) -> None:
    account = await identity.register(name="Mona Lisa")
    me = await identity.call("GetMe", svc.GetMeRequest(), identity.user(account))
    assert me.user.id == account.user_id
    assert me.user.email == account.email
    assert me.user.display_name == "Mona Lisa"
    assert [(m.tenant_id, m.tenant_name, m.role, m.is_root) for m in me.memberships] == [
        (account.tenant_id, "Mona's Team", pb.ROLE_OWNER, False)
    ]
    ghost = Principal(kind="user", user_id=str(uuid.uuid4()), token_id="t")
    error = await identity.fails("GetMe", svc.GetMeRequest(), ghost)
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_change_password_checks_the_current_one(identity) -> None:
    account = await identity.register()
    principal = identity.user(account)
    missing = await identity.fails(
        "ChangePassword", svc.ChangePasswordRequest(new_password="brand-new-pass"), principal
    )
    assert (missing.code(), missing.details()) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "currentPassword is required",
    )
    wrong = await identity.fails(
        "ChangePassword",
        svc.ChangePasswordRequest(current_password="not-it-at-all", new_password="brand-new-pass"),
        principal,
    )
    assert wrong.details() == "currentPassword is incorrect"
    short = await identity.fails(
        "ChangePassword",
        svc.ChangePasswordRequest(current_password=identity.password, new_password="short"),
        principal,
    )
    assert short.details() == "newPassword must be at least 8 characters"
    await identity.call(
        "ChangePassword",
        svc.ChangePasswordRequest(current_password=identity.password, new_password="brand-new-pass"),
        principal,
    )
    await identity.fails("Login", svc.LoginRequest(email=account.email, password=identity.password))
    await identity.call("Login", svc.LoginRequest(email=account.email, password="brand-new-pass"))


async def test_concurrent_rotation_of_one_token_succeeds_once(identity) -> None:
    account = await identity.register()
    results = await asyncio.gather(
        *(identity.call("RefreshToken", refresh(account.refresh_token)) for _ in range(4)),
        return_exceptions=True,
    )
    ok = [r for r in results if not isinstance(r, Exception)]
    assert len(ok) == 1
