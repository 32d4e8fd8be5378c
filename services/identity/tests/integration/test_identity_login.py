"""Login over real gRPC: identical failures, lockout on a controlled clock, deactivation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sqlalchemy import text
from switchyard.identity.server import start
from switchyard.identity.v1 import identity_service_pb2 as svc

pytestmark = pytest.mark.integration


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
async def timed(migrated, clock, identity, principal_key) -> AsyncIterator[object]:
    """A second server on the same database whose domain clock the test controls."""
    server = await start(migrated, port=0, clock=clock)
    async with grpc.aio.insecure_channel(server.address) as channel:
        client = type(identity)(channel, identity.signer, server)
        yield client
    await server.stop(grace=1)


def login(email: str, password: str) -> svc.LoginRequest:
    return svc.LoginRequest(email=email, password=password)


def trailing(error: grpc.aio.AioRpcError) -> dict[str, str]:
    return {k: v for k, v in (error.trailing_metadata() or ())}


async def test_login_returns_session_and_stamps_last_login(identity) -> None:
    account = await identity.register()
    response = await identity.call("Login", login(account.email.upper(), identity.password))
    assert response.user.id == account.user_id
    assert response.user.HasField("last_login_at")
    assert response.tokens.access_token
    assert response.tokens.refresh_token
    assert [m.tenant_id for m in response.memberships] == [account.tenant_id]


async def test_unknown_email_and_wrong_password_fail_identically(identity) -> None:
    account = await identity.register()
    wrong = await identity.fails("Login", login(account.email, "wrong-password"))
    unknown = await identity.fails("Login", login(identity.email(), "wrong-password"))
    for error in (wrong, unknown):
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        assert error.details() == "invalid email or password"


async def test_five_failures_lock_then_expiry_unlocks(timed, clock, db) -> None:
    account = await timed.register()
    for _ in range(5):
        error = await timed.fails("Login", login(account.email, "wrong-password"))
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED

    locked = await timed.fails("Login", login(account.email, timed.password))
    assert locked.code() == grpc.StatusCode.PERMISSION_DENIED
    assert locked.details() == "account locked; try again in 15 minutes"
    meta = trailing(locked)
    assert meta["x-http-status"] == "423"
    assert 890 <= int(meta["x-retry-after"]) <= 900

    clock.now += timedelta(minutes=10)
    again = await timed.fails("Login", login(account.email, timed.password))
    assert again.details() == "account locked; try again in 5 minutes"

    clock.now += timedelta(minutes=5, seconds=1)
    response = await timed.call("Login", login(account.email, timed.password))
    assert response.user.id == account.user_id
    async with db.connect() as conn:
        attempts = await conn.scalar(
            text("SELECT failed_login_attempts FROM identity.users WHERE email = :e"), {"e": account.email}
        )
    assert attempts == 0


async def test_success_resets_the_failure_count(identity) -> None:
    account = await identity.register()
    for _ in range(4):
        await identity.fails("Login", login(account.email, "wrong-password"))
    await identity.call("Login", login(account.email, identity.password))
    for _ in range(4):
        await identity.fails("Login", login(account.email, "wrong-password"))
    # Eight failures in total but never five in a row: still not locked.
    await identity.call("Login", login(account.email, identity.password))


async def test_concurrent_failures_lock_exactly_once(identity, db) -> None:
    account = await identity.register()
    errors = await asyncio.gather(
        *(identity.fails("Login", login(account.email, "wrong-password")) for _ in range(12))
    )
    assert {e.code() for e in errors} <= {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}
    async with db.connect() as conn:
        attempts, locked_until = (
            await conn.execute(
                text("SELECT failed_login_attempts, locked_until FROM identity.users WHERE email = :e"),
                {"e": account.email},
            )
        ).one()
    assert attempts == 5
    assert locked_until is not None
    locked = await identity.fails("Login", login(account.email, identity.password))
    assert trailing(locked)["x-http-status"] == "423"


async def test_expired_lock_set_in_the_database_lets_the_right_password_in(identity, db) -> None:
    account = await identity.register()
    async with db.begin() as conn:
        await conn.execute(
            text(
                "UPDATE identity.users SET failed_login_attempts = 5,"
                " locked_until = now() - interval '1 second' WHERE email = :e"
            ),
            {"e": account.email},
        )
    await identity.call("Login", login(account.email, identity.password))


async def test_deactivated_user_is_refused(identity, db) -> None:
    account = await identity.register()
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE identity.users SET is_active = false WHERE email = :e"), {"e": account.email}
        )
    error = await identity.fails("Login", login(account.email, identity.password))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error.details() == "account is deactivated"
    wrong = await identity.fails("Login", login(account.email, "wrong-password"))
    assert wrong.details() == "invalid email or password"
