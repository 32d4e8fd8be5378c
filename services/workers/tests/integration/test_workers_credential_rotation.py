"""Credential rotations over real gRPC, PostgreSQL, Redis and NATS: who may rotate, and who hears it.

The fan-out test starts two more workers servers on the same stores, standing in for two replicas: a
watcher on one hears a rotation made on the other, and both count it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from switchyard.grpckit.principal import METADATA_KEY, Principal
from switchyard.workers.server import start
from switchyard.workers.v1 import workers_service_pb2 as svc
from switchyard.workers.v1 import workers_service_pb2_grpc as svc_grpc

pytestmark = pytest.mark.integration

ORG_MISMATCH = "orgId does not match the authenticated organization"


def _secret(tag: str = "ghp") -> str:
    return f"{tag}_{uuid.uuid4().hex}{uuid.uuid4().hex}"


def _store(
    org: str, name: str, value: str, kind: str = "github", **fields: str
) -> svc.StoreCredentialRequest:
    return svc.StoreCredentialRequest(org_id=org, name=name, value=value, kind=kind, **fields)


def _member(org: str) -> Principal:
    return Principal(kind="user", user_id=str(uuid.uuid4()), tenant_id=org, role="user", token_id="t")


async def test_rotate_needs_a_configured_kind_and_the_right_caller(workers) -> None:
    org = workers.org()
    await workers.call("StoreCredential", _store(org, "GH_TOKEN", _secret()), workers.admin(org))
    unknown = await workers.fails(
        "RotateCredentials", svc.RotateCredentialsRequest(org_id=org, kind="anthropic"), workers.admin(org)
    )
    assert (unknown.code(), unknown.details()) == (
        grpc.StatusCode.NOT_FOUND,
        "credential kind not configured",
    )
    request = svc.RotateCredentialsRequest(org_id=org, kind="github")
    member = await workers.fails("RotateCredentials", request, _member(org))
    assert member.code() == grpc.StatusCode.PERMISSION_DENIED
    mismatch = await workers.fails("RotateCredentials", request, workers.org_key(workers.org()))
    assert (mismatch.code(), mismatch.details()) == (grpc.StatusCode.PERMISSION_DENIED, ORG_MISMATCH)
    bad_kind = await workers.fails(
        "RotateCredentials", svc.RotateCredentialsRequest(org_id=org), workers.admin(org)
    )
    assert bad_kind.details() == "kind is required"
    # Org keys need only the org to match (no * scope).
    done = await workers.call("RotateCredentials", request, workers.org_key(org, scopes=("worker:register",)))
    assert (done.ok, done.kind, done.session_count) == (True, "github", 0)
    listed = await workers.call("ListCredentials", svc.ListCredentialsRequest(org_id=org), workers.admin(org))
    assert listed.credentials[0].rotated_at == done.rotated_at


class Watch:
    """One WatchCredentialRotations stream, read by a background task.

    Waiting on ``call.read()`` with a timeout would cancel the RPC itself when the timeout fires, so the
    frames go through a queue and only the queue is waited on.
    """

    def __init__(self, stub: svc_grpc.WorkersServiceStub, token: str, session_id: str = "") -> None:
        request = svc.WatchCredentialRotationsRequest(session_id=session_id)
        self.call = stub.WatchCredentialRotations(request, metadata=((METADATA_KEY, token),))
        self._frames: asyncio.Queue[Any] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for frame in self.call:
                await self._frames.put(frame)
        except grpc.aio.AioRpcError as exc:
            await self._frames.put(exc)

    async def frame(self, wait: float = 5.0) -> svc.WatchCredentialRotationsResponse:
        """The next frame (an RPC error is raised)."""
        item = await asyncio.wait_for(self._frames.get(), wait)
        if isinstance(item, Exception):
            raise item
        return item

    async def rotations(self, seconds: float) -> list[svc.WatchCredentialRotationsResponse]:
        """Every rotation frame that arrives within ``seconds``."""
        found = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = await self.frame(left)
            except TimeoutError:
                break
            if frame.type == svc.WATCH_FRAME_TYPE_ROTATION:
                found.append(frame)
        return found

    async def close(self) -> None:
        """Cancel the RPC, as a client that goes away does."""
        self.call.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


@pytest.fixture
async def replicas(
    workers_server, workers_settings, clock
) -> AsyncIterator[list[svc_grpc.WorkersServiceStub]]:
    """Two more workers servers on the same PostgreSQL, Redis and NATS, with a short keep-alive."""
    settings = workers_settings.model_copy(update={"credential_keepalive_seconds": 0.3})
    servers = [await start(settings, port=0, clock=clock) for _ in range(2)]
    channels = [grpc.aio.insecure_channel(server.address) for server in servers]
    try:
        yield [svc_grpc.WorkersServiceStub(channel) for channel in channels]
    finally:
        for channel in channels:
            await channel.close()
        for server in servers:
            await server.stop(grace=0.5)


async def _count(redis, org: str) -> int:
    return int(await redis.zcount(f"workers:rotate-subs:{org}", int(time.time() * 1000), "+inf"))


async def _eventually(predicate: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not await predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_rotation_reaches_watchers_on_every_replica_and_counts_them(workers, replicas, redis) -> None:
    server_a, server_b = replicas
    org, other_org = workers.org(), workers.org()
    for o in (org, other_org):
        await workers.call("StoreCredential", _store(o, "GH_TOKEN", _secret()), workers.admin(o))
    sign = workers.signer.sign
    on_a = Watch(server_a, sign(workers.org_key(org)), session_id="sess-a")
    assert (await on_a.frame()).type == svc.WATCH_FRAME_TYPE_READY
    reg = await workers.register(org)
    on_b = Watch(server_b, sign(workers.as_worker(reg)))
    assert (await on_b.frame()).type == svc.WATCH_FRAME_TYPE_READY
    stranger = Watch(server_a, sign(workers.org_key(other_org)))
    assert (await stranger.frame()).type == svc.WATCH_FRAME_TYPE_READY
    assert await _count(redis, org) == 2

    rotate = svc.RotateCredentialsRequest(org_id=org, kind="github")
    metadata = ((METADATA_KEY, sign(workers.admin(org))),)
    done = await server_b.RotateCredentials(rotate, metadata=metadata, timeout=10)
    assert (done.ok, done.kind, done.session_count) == (True, "github", 2)

    heard_a = await on_a.rotations(1.0)
    assert [(f.rotation.org_id, f.rotation.kind, f.rotation.session_id) for f in heard_a] == [
        (org, "github", "sess-a")
    ]
    assert heard_a[0].rotation.rotated_at == done.rotated_at
    assert [f.rotation.kind for f in await on_b.rotations(0.5)] == ["github"]
    # The other org's watcher on the same replica hears keep-alives only.
    keepalive = await stranger.frame()
    assert keepalive.type == svc.WATCH_FRAME_TYPE_KEEP_ALIVE
    assert await stranger.rotations(0.5) == []

    await on_a.close()
    await _eventually(lambda: _is(redis, org, 1))
    assert (await server_a.RotateCredentials(rotate, metadata=metadata, timeout=10)).session_count == 1
    await on_b.close()
    await _eventually(lambda: _is(redis, org, 0))
    again = await server_a.RotateCredentials(rotate, metadata=metadata, timeout=10)
    assert again.session_count == 0
    await stranger.close()


async def _is(redis, org: str, expected: int) -> bool:
    return await _count(redis, org) == expected


async def test_expired_watchers_are_not_counted(workers, redis) -> None:
    org = workers.org()
    await workers.call("StoreCredential", _store(org, "GH_TOKEN", _secret()), workers.admin(org))
    # A replica that died without cleaning up: its watcher's expiry passed.
    await redis.zadd(f"workers:rotate-subs:{org}", {"wch_ghost": int(time.time() * 1000) - 1000})
    done = await workers.call(
        "RotateCredentials", svc.RotateCredentialsRequest(org_id=org, kind="github"), workers.admin(org)
    )
    assert done.session_count == 0
    assert await redis.zcard(f"workers:rotate-subs:{org}") == 0


async def test_watch_refuses_callers_without_an_org(workers) -> None:
    watch = Watch(workers.stub, workers.signer.sign(Principal(kind="user", user_id="u1")))
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await watch.frame()
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
