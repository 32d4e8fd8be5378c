"""Recovery packets over real gRPC and PostgreSQL: chains, resume (exactly once under a race), callers."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import grpc
import pytest
from google.protobuf.json_format import MessageToDict
from google.protobuf.struct_pb2 import Struct
from switchyard.grpckit.principal import Principal
from switchyard.workers.v1 import workers_service_pb2 as svc

pytestmark = pytest.mark.integration

CODE = grpc.StatusCode


def _create(session_id: str, **body: Any) -> svc.CreateRecoveryPacketRequest:
    data = Struct()
    data.update(body)
    return svc.CreateRecoveryPacketRequest(session_id=session_id, body=data)


def _get(session_id: str, *, resume: bool = False) -> svc.GetRecoveryPacketRequest:
    return svc.GetRecoveryPacketRequest(session_id=session_id, resume=resume)


def _member(org: str) -> Principal:
    return Principal(kind="user", user_id=str(uuid.uuid4()), tenant_id=org, role="user", token_id="t")


async def _session(workers: Any) -> tuple[str, str]:
    org = workers.org()
    session = await workers.queue(org)
    return org, session.id


async def test_packets_join_a_chain_and_keep_their_crash_context(workers) -> None:
    org, session_id = await _session(workers)
    admin = workers.admin(org)
    first = (
        await workers.call(
            "CreateRecoveryPacket",
            _create(session_id, agentId="agent-1", lastTool="Bash", turns=[1, 2], tier="compact"),
            admin,
        )
    ).packet
    assert (first.session_id, first.agent_id, first.tier) == (session_id, "agent-1", "compact")
    assert MessageToDict(first.packet_data) == {"lastTool": "Bash", "turns": [1.0, 2.0]}
    # {"lastTool":"Bash","turns":[1,2]} is 33 characters: ceil(33 / 4).
    assert first.token_estimate == 9
    assert first.recovery_chain_id
    assert first.created_at.seconds > 0
    assert not first.HasField("consumed_at")

    second = (
        await workers.call("CreateRecoveryPacket", _create(session_id, agentId="agent-2"), admin)
    ).packet
    assert (second.tier, second.recovery_chain_id) == ("full", first.recovery_chain_id)
    assert MessageToDict(second.packet_data) == {}
    third = (
        await workers.call(
            "CreateRecoveryPacket", _create(session_id, agentId="agent-3", recoveryChainId="chain-b"), admin
        )
    ).packet
    assert third.recovery_chain_id == "chain-b"
    fourth = (
        await workers.call("CreateRecoveryPacket", _create(session_id, agentId="agent-4"), admin)
    ).packet
    assert fourth.recovery_chain_id == "chain-b"

    chain = await workers.call("GetRecoveryChain", svc.GetRecoveryChainRequest(session_id=session_id), admin)
    assert (chain.session_id, chain.total_packets) == (session_id, 4)
    assert [p.id for p in chain.packets] == [fourth.id, third.id, second.id, first.id]


async def test_resume_consumes_the_newest_packet_once(workers) -> None:
    org, session_id = await _session(workers)
    key = workers.org_key(org)
    none = await workers.fails("GetRecoveryPacket", _get(session_id), key)
    assert (none.code(), none.details()) == (CODE.NOT_FOUND, "no recovery packet")
    older = (await workers.call("CreateRecoveryPacket", _create(session_id, agentId="a", n=1), key)).packet
    newer = (await workers.call("CreateRecoveryPacket", _create(session_id, agentId="a", n=2), key)).packet

    peek = (await workers.call("GetRecoveryPacket", _get(session_id), key)).packet
    assert peek.id == newer.id
    assert (await workers.call("GetRecoveryPacket", _get(session_id), key)).packet.id == newer.id
    taken = (await workers.call("GetRecoveryPacket", _get(session_id, resume=True), key)).packet
    assert taken.id == newer.id
    assert taken.HasField("consumed_at")
    # The next newest unconsumed packet is the older one.
    assert (await workers.call("GetRecoveryPacket", _get(session_id, resume=True), key)).packet.id == older.id
    gone = await workers.fails("GetRecoveryPacket", _get(session_id, resume=True), key)
    assert (gone.code(), gone.details()) == (CODE.NOT_FOUND, "no recovery packet")
    chain = await workers.call("GetRecoveryChain", svc.GetRecoveryChainRequest(session_id=session_id), key)
    assert all(p.HasField("consumed_at") for p in chain.packets)


async def test_of_two_concurrent_resumes_exactly_one_gets_the_packet(workers) -> None:
    org, session_id = await _session(workers)
    key = workers.org_key(org)
    for round_ in range(5):
        made = (
            await workers.call("CreateRecoveryPacket", _create(session_id, agentId="a", round=round_), key)
        ).packet
        results = await asyncio.gather(
            workers.call("GetRecoveryPacket", _get(session_id, resume=True), key),
            workers.call("GetRecoveryPacket", _get(session_id, resume=True), workers.admin(org)),
            return_exceptions=True,
        )
        won = [r.packet.id for r in results if not isinstance(r, BaseException)]
        lost = [r for r in results if isinstance(r, BaseException)]
        assert won == [made.id]
        assert len(lost) == 1
        assert isinstance(lost[0], grpc.aio.AioRpcError)
        assert lost[0].code() == CODE.NOT_FOUND


async def test_the_chain_lists_the_newest_hundred(workers) -> None:
    org, session_id = await _session(workers)
    key = workers.org_key(org)
    ids = []
    for i in range(102):
        ids.append(
            (await workers.call("CreateRecoveryPacket", _create(session_id, agentId="a", i=i), key)).packet.id
        )
    chain = await workers.call("GetRecoveryChain", svc.GetRecoveryChainRequest(session_id=session_id), key)
    assert chain.total_packets == 102
    assert [p.id for p in chain.packets] == ids[::-1][:100]


async def test_packet_input_is_validated(workers) -> None:
    org, session_id = await _session(workers)
    admin = workers.admin(org)
    for body, named in (
        ({"tier": "full"}, "agentId is required"),
        ({"agentId": 5}, "agentId must be a string"),
        ({"agentId": "a", "recoveryChainId": ["x"]}, "recoveryChainId must be a string"),
        ({"agentId": "a", "blob": "x" * (256 * 1024)}, "262144 bytes"),
    ):
        error = await workers.fails("CreateRecoveryPacket", _create(session_id, **body), admin)
        assert error.code() == CODE.INVALID_ARGUMENT
        assert named in error.details()


async def test_who_may_read_and_write_packets(workers) -> None:
    org, session_id = await _session(workers)
    member, admin, key = _member(org), workers.admin(org), workers.org_key(org)
    denied = await workers.fails("CreateRecoveryPacket", _create(session_id, agentId="a"), member)
    assert denied.code() == CODE.PERMISSION_DENIED
    await workers.call("CreateRecoveryPacket", _create(session_id, agentId="a"), key)
    # Members read; resuming is a write.
    assert (await workers.call("GetRecoveryPacket", _get(session_id), member)).packet.agent_id == "a"
    chain = await workers.call("GetRecoveryChain", svc.GetRecoveryChainRequest(session_id=session_id), member)
    assert chain.total_packets == 1
    resume = await workers.fails("GetRecoveryPacket", _get(session_id, resume=True), member)
    assert resume.code() == CODE.PERMISSION_DENIED

    reg = await workers.register(org)
    as_worker = await workers.fails("GetRecoveryPacket", _get(session_id), reg.worker)
    assert as_worker.code() == CODE.PERMISSION_DENIED

    stranger = workers.org()
    for principal in (workers.admin(stranger), workers.org_key(stranger), _member(stranger)):
        for method, request in (
            ("CreateRecoveryPacket", _create(session_id, agentId="x")),
            ("GetRecoveryPacket", _get(session_id)),
            ("GetRecoveryPacket", _get(session_id, resume=True)),
            ("GetRecoveryChain", svc.GetRecoveryChainRequest(session_id=session_id)),
        ):
            error = await workers.fails(method, request, principal)
            assert (error.code(), error.details()) == (CODE.NOT_FOUND, "Session not found")
    unknown = await workers.fails("GetRecoveryChain", svc.GetRecoveryChainRequest(session_id="nope"), admin)
    assert unknown.code() == CODE.NOT_FOUND
    # Still there, unconsumed: nothing above changed it.
    assert (await workers.call("GetRecoveryPacket", _get(session_id), admin)).packet.agent_id == "a"
