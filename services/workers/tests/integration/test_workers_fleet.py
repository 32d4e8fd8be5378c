"""Registration, runtime JWTs, JWKS, heartbeats, refresh, deregistration and GetWorker over real gRPC."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import event, text
from switchyard.workers.v1 import workers_pb2 as pb
from switchyard.workers.v1 import workers_service_pb2 as svc

pytestmark = pytest.mark.integration


async def _jwk_key(workers, kid: str) -> Ed25519PublicKey:
    jwks = await workers.call("GetJwks", svc.GetJwksRequest(), workers.service())
    jwk = next(k for k in jwks.keys if k.kid == kid)
    assert (jwk.kty, jwk.crv, jwk.alg) == ("OKP", "Ed25519", "EdDSA")
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk.x + "=" * (-len(jwk.x) % 4)))


async def test_register_issues_a_verifiable_runtime_jwt(workers) -> None:
    reg = await workers.register()
    r = reg.response
    assert re.fullmatch(r"wkr_[0-9a-f]{16}", r.worker_id)
    assert (r.heartbeat_interval_ms, r.poll_interval_ms) == (30000, 5000)
    kid = jwt.get_unverified_header(r.runtime_token)["kid"]
    claims = jwt.decode(
        r.runtime_token,
        await _jwk_key(workers, kid),
        algorithms=["EdDSA"],
        audience="switchyard-worker",
        issuer="switchyard-workers",
    )
    assert claims["sub"] == r.worker_id
    assert claims["org"] == reg.org
    assert claims["proj"] == "*"
    assert claims["reg"] == reg.key.token_id
    assert "worker:heartbeat" in claims["scope"]
    assert claims["exp"] - claims["iat"] == 3600
    assert r.runtime_token_expires_at.seconds == claims["exp"]


async def test_register_needs_a_key_with_the_register_scope(workers) -> None:
    org = workers.org()
    request = svc.RegisterWorkerRequest(hostname="h", capacity=1)
    denied = await workers.fails("RegisterWorker", request, workers.org_key(org, scopes=("worker:poll",)))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "worker:register" in denied.details()
    admin = await workers.fails("RegisterWorker", request, workers.admin(org))
    assert admin.code() == grpc.StatusCode.PERMISSION_DENIED
    ok = await workers.call("RegisterWorker", request, workers.org_key(org, scopes=("worker:register",)))
    assert ok.worker_id.startswith("wkr_")


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (svc.RegisterWorkerRequest(hostname="", capacity=1), "hostname"),
        (svc.RegisterWorkerRequest(hostname="h", capacity=0), "capacity"),
        (svc.RegisterWorkerRequest(hostname="h", capacity=1, status="asleep"), "status"),
    ],
)
async def test_register_rejects_bad_fields_by_name(workers, request_, field) -> None:
    error = await workers.fails("RegisterWorker", request_, workers.org_key(workers.org()))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error.details()


async def test_project_scoped_key_limits_the_token_and_the_worker(workers) -> None:
    reg = await workers.register(key_projects=("p1", "p2"), projects=("p2", "elsewhere"))
    claims = jwt.decode(reg.token, options={"verify_signature": False})
    assert claims["proj"] == ["p1", "p2"]
    worker = await workers.call("GetWorker", svc.GetWorkerRequest(worker_id=reg.worker_id), workers.service())
    assert not worker.worker.all_projects
    assert list(worker.worker.project_ids) == ["p2"]


async def test_heartbeat_renews_presence_in_redis(workers, redis) -> None:
    reg = await workers.register()
    key = f"workers:worker:{reg.worker_id}"
    await redis.expire(key, 50)
    beat = svc.HeartbeatRequest(
        worker_id=reg.worker_id, status="busy", active_count=2, max_sessions=4, load=pb.LoadSample(cpu=12.5)
    )
    response = await workers.call("Heartbeat", beat, reg.worker)
    assert response.acknowledged
    assert response.pending_work_count == 0
    assert response.HasField("server_time")
    assert 290 <= await redis.ttl(key) <= 300
    worker = (
        await workers.call("GetWorker", svc.GetWorkerRequest(worker_id=reg.worker_id), workers.service())
    ).worker
    assert (worker.status, worker.active_count, worker.capacity) == ("busy", 2, 4)
    assert worker.HasField("last_heartbeat_at")


async def test_heartbeat_counts_the_org_queue(workers) -> None:
    reg = await workers.register()
    await workers.queue(reg.org)
    await workers.queue(reg.org)
    beat = await workers.call("Heartbeat", svc.HeartbeatRequest(worker_id=reg.worker_id), reg.worker)
    assert beat.pending_work_count == 2


async def test_heartbeat_does_not_touch_postgresql(workers, workers_server) -> None:
    reg = await workers.register()
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        # The outbox relay polls this engine in the background; a heartbeat writes no events, so
        # outbox statements are the relay's and everything else would be the beat's.
        if ".outbox" not in statement:
            statements.append(statement)

    sync_engine = workers_server.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            beat = svc.HeartbeatRequest(worker_id=reg.worker_id, status="idle", allowlist_hash="abc")
            assert (await workers.call("Heartbeat", beat, reg.worker)).acknowledged
        # The counter is live: any statement on this engine is seen (proves the probe can fail).
        async with workers_server.deps.reads() as s:
            await s.execute(text("SELECT 1"))
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)
    assert statements == ["SELECT 1"]


async def test_heartbeat_as_another_worker_is_denied(workers) -> None:
    reg = await workers.register()
    other = await workers.register(reg.org)
    request = svc.HeartbeatRequest(worker_id=other.worker_id)
    error = await workers.fails("Heartbeat", request, reg.worker)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    key_error = await workers.fails("Heartbeat", svc.HeartbeatRequest(worker_id=reg.worker_id), reg.key)
    assert key_error.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_expired_or_unknown_worker_is_not_found(workers, redis) -> None:
    reg = await workers.register()
    await redis.delete(f"workers:worker:{reg.worker_id}")  # what the TTL does when beats stop
    error = await workers.fails("Heartbeat", svc.HeartbeatRequest(worker_id=reg.worker_id), reg.worker)
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert await redis.exists(f"workers:worker:{reg.worker_id}") == 0
    poll = await workers.fails("PollWork", svc.PollWorkRequest(worker_id=reg.worker_id), reg.worker)
    assert poll.code() == grpc.StatusCode.NOT_FOUND


async def test_worker_goes_stale_without_beats(workers, clock) -> None:
    reg = await workers.register()
    await workers.call("Heartbeat", svc.HeartbeatRequest(worker_id=reg.worker_id), reg.worker)
    request = svc.GetWorkerRequest(worker_id=reg.worker_id)
    assert not (await workers.call("GetWorker", request, workers.service())).worker.stale
    clock.offset = timedelta(seconds=181)
    try:
        assert (await workers.call("GetWorker", request, workers.service())).worker.stale
        await workers.call("Heartbeat", svc.HeartbeatRequest(worker_id=reg.worker_id), reg.worker)
        assert not (await workers.call("GetWorker", request, workers.service())).worker.stale
    finally:
        clock.offset = timedelta()


async def test_get_worker_is_for_services_only(workers) -> None:
    reg = await workers.register()
    error = await workers.fails("GetWorker", svc.GetWorkerRequest(worker_id=reg.worker_id), reg.key)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    missing = await workers.fails(
        "GetWorker", svc.GetWorkerRequest(worker_id="wkr_0000000000000000"), workers.service()
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    jwks = await workers.fails("GetJwks", svc.GetJwksRequest(), reg.worker)
    assert jwks.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_refresh_keeps_the_worker_id_with_the_registration_token_or_itself(workers, clock) -> None:
    reg = await workers.register()
    request = svc.RefreshRuntimeTokenRequest(worker_id=reg.worker_id)
    clock.offset = timedelta(seconds=30)
    try:
        by_key = await workers.call(
            "RefreshRuntimeToken", request, workers.org_key(reg.org, scopes=("worker:register",))
        )
    finally:
        clock.offset = timedelta()
    assert by_key.worker_id == reg.worker_id
    assert by_key.runtime_token != reg.token
    assert by_key.runtime_token_expires_at.seconds > reg.response.runtime_token_expires_at.seconds
    claims = jwt.decode(by_key.runtime_token, options={"verify_signature": False})
    assert (claims["sub"], claims["reg"]) == (reg.worker_id, reg.key.token_id)
    by_self = await workers.call("RefreshRuntimeToken", request, reg.worker)
    assert by_self.worker_id == reg.worker_id
    other_org = await workers.fails("RefreshRuntimeToken", request, workers.org_key(workers.org()))
    assert other_org.code() == grpc.StatusCode.NOT_FOUND
    unknown = await workers.fails(
        "RefreshRuntimeToken", svc.RefreshRuntimeTokenRequest(worker_id="wkr_ffffffffffffffff"), reg.key
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND


async def test_runtime_token_expiry_is_told_apart(workers, clock) -> None:
    reg = await workers.register()
    issuer = workers.server.deps.tokens
    assert issuer.decode(reg.token)["sub"] == reg.worker_id
    clock.offset = timedelta(seconds=3601)
    try:
        with pytest.raises(Exception, match="Runtime token expired"):
            issuer.decode(reg.token)
    finally:
        clock.offset = timedelta()


async def test_deregister_requeues_claimed_sessions(workers, redis) -> None:
    reg = await workers.register()
    session = await workers.queue(reg.org)
    polled = await workers.poll(reg)
    assert [w.session_id for w in polled.work] == [session.id]
    response = await workers.call(
        "DeregisterWorker", svc.DeregisterWorkerRequest(worker_id=reg.worker_id), reg.worker
    )
    assert response.deregistered
    assert list(response.unclaimed_session_ids) == [session.id]
    assert await redis.exists(f"workers:worker:{reg.worker_id}") == 0
    status = await workers.call(
        "GetSessionStatus", svc.GetSessionStatusRequest(session_id=session.id), reg.key
    )
    assert (status.session.status, status.session.worker_id) == ("pending", "")
    beat = await workers.fails("Heartbeat", svc.HeartbeatRequest(worker_id=reg.worker_id), reg.worker)
    assert beat.code() == grpc.StatusCode.NOT_FOUND
    again = await workers.register(reg.org)
    assert [w.session_id for w in (await workers.poll(again)).work] == [session.id]
