"""The worker protocol through the gateway: registration, heartbeats, refresh, deregistration and poll.

Real identity, workers and mutations services (PostgreSQL, Redis, NATS) behind an in-process gateway.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from redis.asyncio import Redis
from switchyard.gateway.auth.epoch import EPOCH_KEY

pytestmark = pytest.mark.integration

WORKER_ID = re.compile(r"^wkr_[0-9a-f]{16}$")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


async def test_register_both_flavours(fleet) -> None:
    org = await fleet.org("reg")
    native = await fleet.client.post(
        "/v1/daemon/register",
        json={"registrationToken": org.key, "hostname": "ts-host", "maxAgents": 3, "version": "1.2.0"},
    )
    assert native.status_code == 200, native.text
    body = native.json()
    assert set(body) == {"workerId", "runtimeJwt", "heartbeatIntervalSeconds", "pollIntervalSeconds"}
    assert WORKER_ID.match(body["workerId"])
    assert (body["heartbeatIntervalSeconds"], body["pollIntervalSeconds"]) == (30, 5)

    worker = await fleet.register(
        org, capacity=2, version="0.72.1", projects=[{"id": "p1", "repository": "r"}]
    )
    assert WORKER_ID.match(worker.id)
    assert worker.id != body["workerId"]
    assert (worker.body["heartbeatInterval"], worker.body["pollInterval"]) == (30000, 5000)
    assert RFC3339.match(worker.body["runtimeTokenExpiresAt"])
    # The daemon-native token is a runtime JWT like any other.
    beat = await fleet.client.post(
        "/v1/daemon/heartbeat",
        headers=fleet.api.bearer(body["runtimeJwt"]),
        json={
            "workerId": body["workerId"],
            "hostname": "ts-host",
            "status": "idle",
            "activeSessions": 0,
            "maxSessions": 3,
        },
    )
    assert beat.status_code == 200, beat.text
    assert beat.json()["acknowledged"] is True
    assert beat.json()["ok"] is True
    assert RFC3339.match(beat.json()["serverTime"])
    assert isinstance(beat.json()["serverTimeMs"], int)


async def test_registration_needs_an_org_key(fleet) -> None:
    org = await fleet.org("reg-bad")
    payload = {"hostname": "h", "capacity": 1}
    for headers in ({}, fleet.api.bearer("rsk_live_" + "0" * 64), fleet.api.bearer(org.owner.access)):
        refused = await fleet.client.post("/api/workers/register", headers=headers, json=payload)
        assert refused.status_code == 401, refused.text
    wrong_body = await fleet.client.post(
        "/v1/daemon/register", json={"registrationToken": "nope", "hostname": "h", "maxAgents": 1}
    )
    assert (wrong_body.status_code, wrong_body.json()) == (
        401,
        {"error": "a registration token (rsk_live_) is required"},
    )
    # A key without worker:register cannot register.
    narrow = await fleet.org("reg-narrow", scopes=["worker:poll"], projects=["p1"])
    denied = await fleet.client.post(
        "/api/workers/register", headers=fleet.api.bearer(narrow.key), json=payload
    )
    assert denied.status_code == 403, denied.text


async def test_heartbeat_merges_presence_and_mutations_and_echoes_the_shim(fleet) -> None:
    org = await fleet.org("beat")
    worker = await fleet.register(org)
    plain = await fleet.beat(worker, status="idle", load={"cpu": 12.5, "memory": 40})
    assert plain.status_code == 200, plain.text
    body = plain.json()
    assert set(body) == {"acknowledged", "serverTime", "pendingWorkCount"}
    assert body["acknowledged"] is True
    assert body["pendingWorkCount"] == 0
    assert RFC3339.match(body["serverTime"])

    await fleet.queue(org, priority=2)
    shim = {"version": 2, "sessions": ["s1"]}
    echoed = await fleet.beat(worker, sessionShim=shim)
    assert echoed.status_code == 200, echoed.text
    assert echoed.json()["sessionShim"] == {**shim, "acknowledged": True}
    assert echoed.json()["pendingWorkCount"] == 1


async def test_heartbeat_auth_rules(fleet, redis_url) -> None:
    org = await fleet.org("beat-auth")
    worker = await fleet.register(org)
    other = await fleet.register(org)
    mismatch = await fleet.client.post(
        f"/api/workers/{other.id}/heartbeat", headers=worker.headers, json={"activeCount": 0}
    )
    assert mismatch.status_code == 403
    # Registration tokens and missing tokens are not runtime tokens.
    for headers in (fleet.api.bearer(org.key), {}):
        refused = await fleet.client.post(f"/api/workers/{worker.id}/heartbeat", headers=headers, json={})
        assert refused.status_code == 401
    forged = await fleet.client.post(
        f"/api/workers/{worker.id}/heartbeat", headers=fleet.api.bearer("a.b.c"), json={}
    )
    assert (forged.status_code, forged.json()) == (401, {"error": "invalid runtime token"})
    native = await fleet.client.post(
        "/v1/daemon/heartbeat",
        headers=worker.headers,
        json={"workerId": other.id, "hostname": "h", "status": "idle", "activeSessions": 0, "maxSessions": 1},
    )
    assert native.status_code == 403

    # Worker routes never bump the auth epoch (heartbeats are the hottest route there is).
    redis = Redis.from_url(redis_url)
    try:
        before = await redis.get(EPOCH_KEY)
        assert (await fleet.beat(worker)).status_code == 200
        assert (
            await fleet.client.get(f"/api/workers/{worker.id}/poll", headers=worker.headers)
        ).status_code == 200
        assert await redis.get(EPOCH_KEY) == before
    finally:
        await redis.aclose()


async def test_deregistered_worker_is_404_and_its_claims_go_back(fleet) -> None:
    org = await fleet.org("dereg")
    worker = await fleet.register(org, capacity=1)
    queued = await fleet.queue(org)
    polled = await fleet.client.get(f"/api/workers/{worker.id}/poll", headers=worker.headers)
    assert polled.json()["claimedSessionIds"] == [queued["linearSessionId"]]
    gone = await fleet.client.delete(f"/api/workers/{worker.id}", headers=worker.headers)
    assert gone.status_code == 200, gone.text
    assert gone.json() == {"deregistered": True, "unclaimedSessions": [queued["linearSessionId"]]}
    unknown = await fleet.beat(worker)
    assert unknown.status_code == 404
    assert (
        await fleet.client.get(f"/api/workers/{worker.id}/poll", headers=worker.headers)
    ).status_code == 404
    again = await fleet.register(org, capacity=1)
    repoll = await fleet.client.get(f"/api/workers/{again.id}/poll", headers=again.headers)
    assert repoll.json()["claimedSessionIds"] == [queued["linearSessionId"]]


async def test_refresh_token_with_the_registration_token_keeps_the_worker_id(fleet) -> None:
    org = await fleet.org("refresh")
    worker = await fleet.register(org)
    refreshed = await fleet.client.post(
        f"/api/workers/{worker.id}/refresh-token", headers=fleet.api.bearer(org.key), json={}
    )
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert body["workerId"] == worker.id
    assert body["runtimeToken"]
    assert body["runtimeToken"] != worker.token
    assert body["expiresAt"] == body["runtimeTokenExpiresAt"]
    assert RFC3339.match(body["expiresAt"])
    assert (body["heartbeatInterval"], body["pollInterval"]) == (30000, 5000)
    beat = await fleet.client.post(
        f"/api/workers/{worker.id}/heartbeat", headers=fleet.api.bearer(body["runtimeToken"]), json={}
    )
    assert beat.status_code == 200
    # The worker's own runtime token may refresh too; another org's key may not.
    own = await fleet.client.post(f"/api/workers/{worker.id}/refresh-token", headers=worker.headers)
    assert own.status_code == 200, own.text
    stranger = await fleet.org("refresh-stranger")
    foreign = await fleet.client.post(
        f"/api/workers/{worker.id}/refresh-token", headers=fleet.api.bearer(stranger.key), json={}
    )
    assert foreign.status_code == 404


async def test_expired_runtime_token_is_401_saying_so(fleet, start_workers, workers_settings_values) -> None:
    short = await start_workers({**workers_settings_values, "runtime_token_ttl_seconds": 1})
    try:
        org = await fleet.org("expiry")
        worker = await fleet.register(org)
        # Register through a one-second-TTL replica (same keys and stores) to hold an expiring token.
        import grpc
        from switchyard.grpckit.client import call_metadata
        from switchyard.grpckit.principal import ORG_KEY, Principal, PrincipalSigner
        from switchyard.workers.v1 import workers_service_pb2 as pb
        from switchyard.workers.v1 import workers_service_pb2_grpc as pb_grpc

        async with grpc.aio.insecure_channel(short.address) as channel:
            stub = pb_grpc.WorkersServiceStub(channel)
            principal = Principal(
                kind=ORG_KEY, tenant_id=org.id, scopes=("*",), project_ids=("*",), token_id="k"
            )
            signed = PrincipalSigner(workers_settings_values["principal_key"]).sign(principal)
            reply = await stub.RefreshRuntimeToken(
                pb.RefreshRuntimeTokenRequest(worker_id=worker.id), metadata=call_metadata(signed, "expiry")
            )
    finally:
        await short.stop()
    await asyncio.sleep(2.1)
    expired = await fleet.client.post(
        f"/api/workers/{worker.id}/heartbeat", headers=fleet.api.bearer(reply.runtime_token), json={}
    )
    assert (expired.status_code, expired.json()) == (401, {"error": "Runtime token expired"})
    poll = await fleet.client.get(
        f"/api/workers/{worker.id}/poll", headers=fleet.api.bearer(reply.runtime_token)
    )
    assert "Runtime token expired" in poll.text


async def test_malformed_heartbeats_are_400_naming_the_field(fleet) -> None:
    org = await fleet.org("beat-400")
    worker = await fleet.register(org)
    cases = [
        ({"activeCount": "two"}, "activeCount must be an integer"),
        ({"activeCount": -1}, "activeCount is invalid"),
        ({"status": "sleeping"}, "status has an invalid value"),
        ({"appliedMutations": "mut_1"}, "appliedMutations must be an array"),
        ({"mutationFailures": [{"error": "x"}]}, "id is required"),
        ({"sessionShim": "yes"}, "sessionShim must be an object or null"),
        ({"load": {"cpu": "high"}}, "load.cpu must be a number"),
    ]
    for body, message in cases:
        response = await fleet.client.post(
            f"/api/workers/{worker.id}/heartbeat", headers=worker.headers, json=body
        )
        assert (response.status_code, response.json()) == (400, {"error": message}), body
    bad_json = await fleet.client.post(
        f"/api/workers/{worker.id}/heartbeat",
        headers={**worker.headers, "Content-Type": "application/json"},
        content=b"{",
    )
    assert (bad_json.status_code, bad_json.json()) == (400, {"error": "invalid JSON body"})
    for body, message in (
        ({"capacity": 1}, "hostname is required"),
        ({"hostname": "h", "capacity": 0}, "capacity is invalid"),
        ({"hostname": "h", "capacity": 1, "projectIds": [3]}, "projectIds[0] must be a string or an object"),
    ):
        register = await fleet.client.post(
            "/api/workers/register", headers=fleet.api.bearer(org.key), json=body
        )
        assert (register.status_code, register.json()) == (400, {"error": message}), body
