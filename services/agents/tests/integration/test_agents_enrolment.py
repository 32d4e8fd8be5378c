"""Enrolment over real gRPC: install tokens, registration, refresh-token rotation, recovery, revocation."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from datetime import timedelta

import grpc
import nats
import pytest
from switchyard.agents.domain.enrolment import tokens
from switchyard.agents.domain.enrolment.models import digest
from switchyard.agents.v1 import agents_service_pb2 as svc
from switchyard.agents.v1 import events_pb2

pytestmark = pytest.mark.integration

UNAUTH = grpc.StatusCode.UNAUTHENTICATED


def _signed(enrol, *, org: str, op: str = "op-1", iat: int, ttl: int = 3600, key: bytes | None = None) -> str:
    token, _ = tokens.mint(key=key or enrol.install_key, org=org, op=op, name="", iat=iat, ttl_seconds=ttl)
    return token


def _trailer(error: grpc.aio.AioRpcError, key: str) -> str | None:
    for name, value in error.trailing_metadata() or ():
        if name == key:
            return str(value)
    return None


async def _refresh(enrol, token: str) -> svc.RefreshAgentTokenResponse:
    return await enrol.call("RefreshAgentToken", svc.RefreshAgentTokenRequest(refresh_token=token))


async def _recover(enrol, key: str, machine: str):
    return await enrol.call("RecoverServer", svc.RecoverServerRequest(bootstrap_key=key, machine_id=machine))


# --- install tokens -------------------------------------------------------------------------------------


async def test_admins_mint_signed_install_tokens_others_may_not(enrol) -> None:
    org = enrol.org()
    owner = enrol.user(org, "owner")
    before = int(time.time())
    response = await enrol.call(
        "CreateInstallToken", svc.CreateInstallTokenRequest(name="web-1", ttl_seconds=600), owner
    )
    claims = tokens.verify(response.token, key=enrol.install_key, now=before)
    assert response.token.startswith("sit_")
    assert (claims.org, claims.op, claims.name, claims.ttl_seconds) == (org, owner.user_id, "web-1", 600)
    assert abs(response.expires_at.seconds - (before + 600)) <= 2
    default = tokens.verify(
        await enrol.mint(org, principal=enrol.admin_key(org)), key=enrol.install_key, now=before
    )
    assert default.ttl_seconds == 3600

    member = await enrol.fails("CreateInstallToken", svc.CreateInstallTokenRequest(), enrol.user(org, "user"))
    anonymous = await enrol.fails("CreateInstallToken", svc.CreateInstallTokenRequest())
    assert member.code() == anonymous.code() == grpc.StatusCode.PERMISSION_DENIED
    for ttl in (59, 7 * 24 * 3600 + 1, -5):
        bad = await enrol.fails("CreateInstallToken", svc.CreateInstallTokenRequest(ttl_seconds=ttl), owner)
        assert (bad.code(), bad.details()) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "ttlSeconds must be between 60 and 604800",
        )
    long_name = await enrol.fails("CreateInstallToken", svc.CreateInstallTokenRequest(name="n" * 256), owner)
    assert long_name.details() == "name must be at most 255 characters"


async def test_forged_tampered_and_expired_install_tokens_are_refused(enrol) -> None:
    org, other = enrol.org(), enrol.org()
    token = await enrol.mint(org)
    body, mac = token.removeprefix("sit_").split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="[: -len(body) % 4 or None]))
    payload["org"] = other
    forged_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    cases = {
        "tampered payload": f"sit_{forged_body}.{mac}",
        "another key": _signed(enrol, org=org, iat=int(time.time()), key=b"x" * 48),
        "truncated mac": token[:-4],
        "garbage": "sit_???.!!!",
        "no prefix": token.removeprefix("sit_"),
    }
    for case, candidate in cases.items():
        error = await enrol.fails("RegisterServer", svc.RegisterServerRequest(token=candidate, hostname="h"))
        assert (error.code(), error.details()) == (UNAUTH, "invalid install token"), case
    expired = _signed(enrol, org=org, iat=int(time.time()) - 7200, ttl=3600)
    error = await enrol.fails("RegisterServer", svc.RegisterServerRequest(token=expired, hostname="h"))
    assert (error.code(), error.details()) == (UNAUTH, "install token expired")
    # The untouched token still registers: nothing above spent it.
    assert (await enrol.register(token)).credentials.server_id


async def test_install_token_refresh_accepts_an_expired_signed_predecessor(enrol) -> None:
    org = enrol.org()
    op = str(uuid.uuid4())
    expired = _signed(enrol, org=org, op=op, iat=int(time.time()) - 10 * 24 * 3600, ttl=900)
    response = await enrol.call("RefreshInstallToken", svc.RefreshInstallTokenRequest(token=expired))
    claims = tokens.verify(response.token, key=enrol.install_key, now=int(time.time()))
    assert (claims.org, claims.op, claims.ttl_seconds) == (org, op, 900)
    assert (await enrol.register(response.token)).credentials.server_id

    ancient = _signed(enrol, org=org, op=op, iat=int(time.time()) - 40 * 24 * 3600, ttl=3600)
    too_old = await enrol.fails("RefreshInstallToken", svc.RefreshInstallTokenRequest(token=ancient))
    assert (too_old.code(), too_old.details()) == (UNAUTH, "install token too old to refresh")
    forged = _signed(enrol, org=org, op=op, iat=int(time.time()), key=b"y" * 48)
    refused = await enrol.fails("RefreshInstallToken", svc.RefreshInstallTokenRequest(token=forged))
    assert (refused.code(), refused.details()) == (UNAUTH, "invalid install token")


async def test_install_token_refresh_is_limited_to_10_per_24h_per_operator(enrol) -> None:
    org, op = enrol.org(), str(uuid.uuid4())
    token = _signed(enrol, org=org, op=op, iat=int(time.time()))
    for _ in range(10):
        token = (await enrol.call("RefreshInstallToken", svc.RefreshInstallTokenRequest(token=token))).token
    limited = await enrol.fails("RefreshInstallToken", svc.RefreshInstallTokenRequest(token=token))
    assert limited.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "10 per 24 h" in limited.details()
    assert 23 * 3600 < int(_trailer(limited, "x-retry-after") or 0) <= 24 * 3600
    # Another operator of the same org has a budget of its own.
    other = _signed(enrol, org=org, op=str(uuid.uuid4()), iat=int(time.time()))
    assert (await enrol.call("RefreshInstallToken", svc.RefreshInstallTokenRequest(token=other))).token


# --- registration ---------------------------------------------------------------------------------------


async def test_register_creates_the_server_and_stores_only_hashes(enrol) -> None:
    org = enrol.org()
    token = await enrol.mint(org, name="db-primary")
    response = await enrol.register(token, hostname="db1.internal", machine_id="m-" + uuid.uuid4().hex)
    creds = response.credentials
    assert response.relinked is False
    assert uuid.UUID(creds.server_id).version == 4
    assert creds.refresh_token.startswith("srt_")
    assert creds.bootstrap_key.startswith("sbk_")
    assert len(base64.urlsafe_b64decode(creds.agent_secret + "=")) == 32
    assert creds.grpc_address == "agents.example.test:9090"
    [server] = await enrol.rows("SELECT * FROM agents.servers WHERE id = :id", id=creds.server_id)
    assert (server.org_id, server.name, server.hostname, server.status) == (
        org,
        "db-primary",
        "db1.internal",
        "active",
    )
    [secret] = await enrol.rows(
        "SELECT * FROM agents.agent_secrets WHERE server_id = :id", id=creds.server_id
    )
    [link] = await enrol.rows("SELECT * FROM agents.refresh_tokens WHERE server_id = :id", id=creds.server_id)
    [key] = await enrol.rows("SELECT * FROM agents.bootstrap_keys WHERE server_id = :id", id=creds.server_id)
    assert secret.secret_hash == digest(creds.agent_secret)
    assert link.token_hash == digest(creds.refresh_token)
    assert key.key_hash == digest(creds.bootstrap_key)
    assert (link.expires_at - link.created_at) == timedelta(seconds=3600)
    [event] = await enrol.rows(
        "SELECT subject, payload FROM agents.outbox WHERE msg_id LIKE :id",
        id=f"{creds.server_id}.registered.%",
    )
    published = events_pb2.ServerRegistered.FromString(event.payload)
    assert (event.subject, published.server.id, published.relinked) == (
        "agents.server.registered",
        creds.server_id,
        False,
    )
    unnamed = await enrol.register(await enrol.mint(org), hostname="web7")
    [row] = await enrol.rows(
        "SELECT name FROM agents.servers WHERE id = :id", id=unnamed.credentials.server_id
    )
    assert row.name == "web7"


async def test_an_install_token_registers_one_server_only(enrol) -> None:
    token = await enrol.mint(enrol.org())
    bad = await enrol.fails("RegisterServer", svc.RegisterServerRequest(token=token, hostname=" "))
    assert (bad.code(), bad.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "hostname is required")
    long_machine = svc.RegisterServerRequest(token=token, hostname="h", machine_id="m" * 256)
    bad = await enrol.fails("RegisterServer", long_machine)
    assert bad.details() == "machineId must be at most 255 characters"
    # Refused input did not spend the token; a successful registration does.
    await enrol.register(token)
    replay = await enrol.fails("RegisterServer", svc.RegisterServerRequest(token=token, hostname="h2"))
    assert (replay.code(), replay.details()) == (UNAUTH, "install token already used")
    racing = await enrol.mint(enrol.org())
    results = await asyncio.gather(*(enrol.register(racing) for _ in range(3)), return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1


async def test_previous_server_id_relinks_a_server_of_the_same_org(enrol) -> None:
    org = enrol.org()
    first = (await enrol.enrolled(org, hostname="old-host", machine_id="m-old")).credentials
    again = await enrol.register(
        await enrol.mint(org), hostname="new-host", machine_id="m-new", previous=first.server_id
    )
    assert (again.relinked, again.credentials.server_id) == (True, first.server_id)
    assert again.credentials.agent_secret != first.agent_secret
    [server] = await enrol.rows("SELECT * FROM agents.servers WHERE id = :id", id=first.server_id)
    assert (server.hostname, server.machine_id, server.status) == ("new-host", "m-new", "active")
    live = await enrol.rows(
        "SELECT secret_hash FROM agents.agent_secrets WHERE server_id = :id AND revoked_at IS NULL",
        id=first.server_id,
    )
    assert [row.secret_hash for row in live] == [digest(again.credentials.agent_secret)]
    stale = await enrol.fails(
        "RefreshAgentToken", svc.RefreshAgentTokenRequest(refresh_token=first.refresh_token)
    )
    assert (stale.code(), stale.details()) == (UNAUTH, "invalid refresh token")
    old_key = await enrol.fails(
        "RecoverServer", svc.RecoverServerRequest(bootstrap_key=first.bootstrap_key, machine_id="m-new")
    )
    assert old_key.details() == "invalid bootstrap key"
    assert (await _refresh(enrol, again.credentials.refresh_token)).server_id == first.server_id


async def test_previous_server_id_of_another_org_or_unknown_creates_a_new_server(enrol) -> None:
    victim_org, org = enrol.org(), enrol.org()
    victim = (await enrol.enrolled(victim_org, hostname="victim")).credentials
    for previous in (victim.server_id, str(uuid.uuid4()), "not-a-uuid"):
        response = await enrol.register(await enrol.mint(org), previous=previous)
        assert response.relinked is False
        assert response.credentials.server_id not in (victim.server_id, previous)
    [server] = await enrol.rows("SELECT * FROM agents.servers WHERE id = :id", id=victim.server_id)
    assert (server.org_id, server.hostname, server.status) == (victim_org, "victim", "active")
    assert (await _refresh(enrol, victim.refresh_token)).server_id == victim.server_id


# --- refresh-token rotation -----------------------------------------------------------------------------


async def test_refresh_tokens_rotate_and_a_replay_revokes_the_whole_chain_only(enrol) -> None:
    org = enrol.org()
    creds = (await enrol.enrolled(org)).credentials
    bystander = (await enrol.enrolled(org)).credentials
    second = await _refresh(enrol, creds.refresh_token)
    third = await _refresh(enrol, second.refresh_token)
    assert second.server_id == third.server_id == creds.server_id
    assert len({creds.refresh_token, second.refresh_token, third.refresh_token}) == 3
    assert abs(third.expires_at.seconds - (int(time.time()) + 3600)) <= 5

    replay = await enrol.fails(
        "RefreshAgentToken", svc.RefreshAgentTokenRequest(refresh_token=second.refresh_token)
    )
    assert (replay.code(), replay.details()) == (UNAUTH, "refresh token replayed; chain revoked")
    # The newest link (never used) is dead too, and so is every link of the chain.
    killed = await enrol.fails(
        "RefreshAgentToken", svc.RefreshAgentTokenRequest(refresh_token=third.refresh_token)
    )
    assert killed.details() == "invalid refresh token"
    links = await enrol.rows(
        "SELECT revoked_at FROM agents.refresh_tokens WHERE server_id = :id", id=creds.server_id
    )
    assert len(links) == 3
    assert all(link.revoked_at is not None for link in links)
    # Nothing else: the agent secret, the bootstrap key and other servers' chains are untouched.
    [secret] = await enrol.rows(
        "SELECT revoked_at FROM agents.agent_secrets WHERE server_id = :id", id=creds.server_id
    )
    [key] = await enrol.rows(
        "SELECT revoked_at FROM agents.bootstrap_keys WHERE server_id = :id", id=creds.server_id
    )
    assert secret.revoked_at is None
    assert key.revoked_at is None
    assert (await _refresh(enrol, bystander.refresh_token)).server_id == bystander.server_id


async def test_concurrent_refreshes_of_one_link_have_exactly_one_winner(enrol) -> None:
    for _ in range(3):
        creds = (await enrol.enrolled(enrol.org())).credentials
        results = await asyncio.gather(
            _refresh(enrol, creds.refresh_token), _refresh(enrol, creds.refresh_token), return_exceptions=True
        )
        winners = [r for r in results if not isinstance(r, BaseException)]
        losers = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert len(winners) == 1
        assert len(losers) == 1
        assert losers[0].code() == UNAUTH
        assert losers[0].details() in {"refresh token replayed; chain revoked", "invalid refresh token"}


async def test_unknown_and_expired_refresh_tokens_are_refused(enrol) -> None:
    unknown = await enrol.fails("RefreshAgentToken", svc.RefreshAgentTokenRequest(refresh_token="srt_nope"))
    missing = await enrol.fails("RefreshAgentToken", svc.RefreshAgentTokenRequest())
    assert (unknown.code(), unknown.details()) == (UNAUTH, "invalid refresh token")
    assert (missing.code(), missing.details()) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "refreshToken is required",
    )
    creds = (await enrol.enrolled(enrol.org())).credentials
    enrol.clock.offset = timedelta(seconds=3601)
    try:
        expired = await enrol.fails(
            "RefreshAgentToken", svc.RefreshAgentTokenRequest(refresh_token=creds.refresh_token)
        )
    finally:
        enrol.clock.offset = timedelta()
    assert (expired.code(), expired.details()) == (UNAUTH, "invalid refresh token")


# --- recovery -------------------------------------------------------------------------------------------


async def test_recovery_issues_fresh_credentials_and_the_bootstrap_key_is_one_shot(enrol) -> None:
    machine = f"m-{uuid.uuid4().hex}"
    creds = (await enrol.enrolled(enrol.org(), machine_id=machine)).credentials
    recovered = (await _recover(enrol, creds.bootstrap_key, machine)).credentials
    assert recovered.server_id == creds.server_id
    assert recovered.bootstrap_key != creds.bootstrap_key
    assert recovered.agent_secret != creds.agent_secret
    assert recovered.grpc_address == "agents.example.test:9090"
    live = await enrol.rows(
        "SELECT secret_hash FROM agents.agent_secrets WHERE server_id = :id AND revoked_at IS NULL",
        id=creds.server_id,
    )
    assert [row.secret_hash for row in live] == [digest(recovered.agent_secret)]
    stale = await enrol.fails(
        "RefreshAgentToken", svc.RefreshAgentTokenRequest(refresh_token=creds.refresh_token)
    )
    assert stale.code() == UNAUTH
    reused = await enrol.fails(
        "RecoverServer", svc.RecoverServerRequest(bootstrap_key=creds.bootstrap_key, machine_id=machine)
    )
    assert (reused.code(), reused.details()) == (UNAUTH, "invalid bootstrap key")
    assert (await _refresh(enrol, recovered.refresh_token)).server_id == creds.server_id
    assert (await _recover(enrol, recovered.bootstrap_key, machine)).credentials.server_id == creds.server_id


async def test_recovery_needs_the_servers_machine_id(enrol) -> None:
    machine = f"m-{uuid.uuid4().hex}"
    creds = (await enrol.enrolled(enrol.org(), machine_id=machine)).credentials
    wrong = await enrol.fails(
        "RecoverServer",
        svc.RecoverServerRequest(bootstrap_key=creds.bootstrap_key, machine_id=f"m-{uuid.uuid4().hex}"),
    )
    assert (wrong.code(), wrong.details()) == (UNAUTH, "invalid bootstrap key")
    missing = await enrol.fails("RecoverServer", svc.RecoverServerRequest(bootstrap_key=creds.bootstrap_key))
    assert (missing.code(), missing.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "machineId is required")
    # The refused attempts did not spend the key.
    assert (await _recover(enrol, creds.bootstrap_key, machine)).credentials.server_id == creds.server_id


async def test_recovery_is_limited_to_5_attempts_per_hour_per_machine(enrol) -> None:
    machine = f"m-{uuid.uuid4().hex}"
    creds = (await enrol.enrolled(enrol.org(), machine_id=machine)).credentials
    for _ in range(4):
        bad = await enrol.fails(
            "RecoverServer", svc.RecoverServerRequest(bootstrap_key="sbk_wrong", machine_id=machine)
        )
        assert bad.code() == UNAUTH
    # The fifth attempt is still allowed (and succeeds); the sixth is refused even with the right key.
    recovered = (await _recover(enrol, creds.bootstrap_key, machine)).credentials
    limited = await enrol.fails(
        "RecoverServer", svc.RecoverServerRequest(bootstrap_key=recovered.bootstrap_key, machine_id=machine)
    )
    assert limited.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert 3500 < int(_trailer(limited, "x-retry-after") or 0) <= 3600
    # Another machine id has its own budget.
    other = await enrol.fails(
        "RecoverServer", svc.RecoverServerRequest(bootstrap_key="sbk_x", machine_id=f"m-{uuid.uuid4().hex}")
    )
    assert other.code() == UNAUTH


# --- revocation -----------------------------------------------------------------------------------------


async def test_revoke_kills_every_credential_and_asks_for_a_disconnect(enrol, nats_url: str) -> None:
    org = enrol.org()
    creds = (await enrol.enrolled(org, machine_id="m-revoke")).credentials
    nc = await nats.connect(nats_url)
    try:
        subscription = await nc.subscribe(f"agents.disconnect.{creds.server_id}")
        await nc.flush()
        response = await enrol.call(
            "RevokeServerCredentials",
            svc.RevokeServerCredentialsRequest(server_id=creds.server_id),
            enrol.user(org, "admin"),
        )
        message = await subscription.next_msg(timeout=5)
    finally:
        await nc.close()
    assert (response.revoked_tokens, response.disconnected) == (3, True)
    # An empty payload is a forced disconnect: every replica closes the stream and forgets the cached check.
    assert (message.subject, message.data) == (f"agents.disconnect.{creds.server_id}", b"")
    [server] = await enrol.rows("SELECT status FROM agents.servers WHERE id = :id", id=creds.server_id)
    assert server.status == "revoked"
    live = await enrol.rows(
        "SELECT 1 FROM agents.agent_secrets WHERE server_id = :id AND revoked_at IS NULL", id=creds.server_id
    )
    assert live == []
    refused = await enrol.fails(
        "RefreshAgentToken", svc.RefreshAgentTokenRequest(refresh_token=creds.refresh_token)
    )
    assert refused.code() == UNAUTH
    recover = await enrol.fails(
        "RecoverServer", svc.RecoverServerRequest(bootstrap_key=creds.bootstrap_key, machine_id="m-revoke")
    )
    assert recover.details() == "invalid bootstrap key"
    [event] = await enrol.rows(
        "SELECT subject FROM agents.outbox WHERE msg_id LIKE :id", id=f"{creds.server_id}.revoked.%"
    )
    assert event.subject == "agents.server.revoked"
    # Re-enrolling with the old id brings the server back with fresh credentials.
    back = await enrol.register(await enrol.mint(org), previous=creds.server_id)
    assert (back.relinked, back.credentials.server_id) == (True, creds.server_id)
    [server] = await enrol.rows("SELECT status FROM agents.servers WHERE id = :id", id=creds.server_id)
    assert server.status == "active"


async def test_revoke_is_for_the_orgs_admins_only(enrol) -> None:
    org = enrol.org()
    creds = (await enrol.enrolled(org)).credentials
    request = svc.RevokeServerCredentialsRequest(server_id=creds.server_id)
    foreign = await enrol.fails("RevokeServerCredentials", request, enrol.user(enrol.org(), "owner"))
    unknown = await enrol.fails(
        "RevokeServerCredentials",
        svc.RevokeServerCredentialsRequest(server_id=str(uuid.uuid4())),
        enrol.user(org),
    )
    assert foreign.code() == unknown.code() == grpc.StatusCode.NOT_FOUND
    assert foreign.details() == unknown.details() == "server not found"
    member = await enrol.fails("RevokeServerCredentials", request, enrol.user(org, "user"))
    anonymous = await enrol.fails("RevokeServerCredentials", request)
    assert member.code() == anonymous.code() == grpc.StatusCode.PERMISSION_DENIED
    assert (await _refresh(enrol, creds.refresh_token)).server_id == creds.server_id
    by_key = await enrol.call("RevokeServerCredentials", request, enrol.admin_key(org))
    # The secret, the bootstrap key and the link the refresh above issued (the used one is not live).
    assert by_key.revoked_tokens == 3


async def test_verify_install_token_checks_without_spending(enrol) -> None:
    token = await enrol.mint(enrol.org(), ttl=600)
    for _ in range(2):
        checked = await enrol.call("VerifyInstallToken", svc.VerifyInstallTokenRequest(token=token))
        assert abs(checked.expires_at.seconds - (int(time.time()) + 600)) <= 5
    await enrol.register(token)
    used = await enrol.fails("VerifyInstallToken", svc.VerifyInstallTokenRequest(token=token))
    assert (used.code(), used.details()) == (UNAUTH, "install token already used")
    expired = _signed(enrol, org=enrol.org(), iat=int(time.time()) - 4000)
    error = await enrol.fails("VerifyInstallToken", svc.VerifyInstallTokenRequest(token=expired))
    assert (error.code(), error.details()) == (UNAUTH, "install token expired")
