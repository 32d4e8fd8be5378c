"""Commands in flight when a stream ends, and payloads that do not parse, on the agent.v1 port.

A command can only report on the stream it was sent on (agents drop results they cannot send), so a
stream that ends fails what it delivered and never heard back about; a stream that opens fails what an
earlier stream (maybe on a replica that died) left dispatched/running. Pending commands wait for the
next stream. Garbage bytes on unary calls are INVALID_ARGUMENT once the caller is authenticated.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
from agent.v1 import agent_pb2 as T
from switchyard.agents.v1 import agents_service_pb2 as svc

pytestmark = pytest.mark.integration

EXEC = T.COMMAND_TYPE_EXEC
NOTE = "\nagent disconnected mid-command\n"
GARBAGE = b"\xff\xff\xff\x0f garbage"
UNARY = {
    "Heartbeat": "agent.v1.HeartbeatRequest",
    "AckCommand": "agent.v1.CommandAck",
    "ListServerRoutes": "agent.v1.ListServerRoutesRequest",
    "ForwardObserveEvent": "agent.v1.ObserveEventRequest",
}


async def _not(value: object) -> bool:
    return not await value  # type: ignore[misc]


async def test_a_waiting_run_command_learns_its_agent_disconnected(fleet) -> None:
    server = await fleet.enrol()
    async with fleet.agent(server, answer=False) as agent:
        request = svc.RunCommandRequest(server_id=server.id, type=EXEC, payload_json="{}", timeout_ms=30000)
        waiting = asyncio.create_task(fleet.call("RunCommand", request, fleet.owner(server.org)))
        [command] = await agent.wait_for(1)
        await agent.progress(command.id, "step 1\n")
        await fleet.status_of(server, command.id, "running")
    ran = (await waiting).command
    assert (ran.id, ran.status, ran.final) == (command.id, "failed", True)
    assert ran.output == "step 1\n" + NOTE
    assert ran.HasField("finished_at")


async def test_a_replica_that_died_leaves_its_commands_to_the_next_stream_open(fleet) -> None:
    server = await fleet.enrol()
    orphan, waiting = await fleet.issue(server, EXEC), await fleet.issue(server, EXEC)
    # Test set-up: the state a replica leaves when it dies while its agent runs a command (nobody closed
    # the stream, so nothing failed it): running, with output, and no stream registered anywhere.
    await fleet.sql(
        "UPDATE agents.commands SET status = 'running', output = 'booting\n', dispatched_at = now(),"
        " started_at = now() WHERE id = :id",
        id=orphan.id,
    )
    async with fleet.agent(server, via="b", answer=False) as agent:
        received = await agent.wait_for(1)
        assert [c.id for c in received] == [waiting.id]
        failed = await fleet.status_of(server, orphan.id, "failed")
        assert failed.output == "booting\n" + NOTE
        await agent.finish(waiting.id, "completed", "done")
        await fleet.status_of(server, waiting.id, "completed")


async def test_a_replaced_stream_does_not_fail_what_the_newer_stream_delivered(fleet) -> None:
    server = await fleet.enrol()
    async with fleet.agent(server, via="a", answer=False, ack=False) as old:
        command = await fleet.issue(server, EXEC)
        await old.wait_for(1)
        # Never acknowledged on the old stream: still pending, so the newer stream delivers it again.
        async with fleet.agent(server, via="b", answer=False) as new:
            await new.wait_for(1)
            await fleet.status_of(server, command.id, "dispatched")
            async with asyncio.timeout(10):
                await old.ended.wait()
            await fleet.until(lambda: _not(fleet.stream_on(server, "a")))
            assert (await fleet.command(server, command.id)).status == "dispatched"
            await new.finish(command.id, "completed", "ok")
            done = await fleet.status_of(server, command.id, "completed")
            assert done.output == "ok"


async def test_garbage_unary_payloads_are_invalid_argument_after_auth_and_nothing_dies(fleet) -> None:
    server = await fleet.enrol()
    channel = fleet._agent_channels["a"]
    wrong = (("authorization", "Bearer not-the-secret"), ("server-id", server.id))
    async with fleet.agent(server, answer=False) as agent:
        for method, message in UNARY.items():
            call = channel.unary_unary(f"/agent.v1.AgentService/{method}")
            for metadata in ((), wrong):
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await call(GARBAGE, metadata=metadata, timeout=5)
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED, method
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await call(GARBAGE, metadata=server.metadata, timeout=5)
            assert (bad.value.code(), bad.value.details()) == (
                grpc.StatusCode.INVALID_ARGUMENT,
                f"request is not a valid {message} (malformed protobuf payload)",
            )
        download = channel.unary_stream("/agent.v1.AgentService/DownloadAgentBinary")
        with pytest.raises(grpc.aio.AioRpcError) as bad_download:
            async for _ in download(GARBAGE, metadata=server.metadata, timeout=5):
                pass
        assert bad_download.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        push = channel.stream_unary(
            "/agent.v1.AgentService/PushLogs", response_deserializer=T.LogAck.FromString
        )
        ack = await push(iter([GARBAGE]), metadata=server.metadata, timeout=5)
        assert (ack.accepted, ack.error_message) == (False, "malformed log batch")
        # The service and the agent's open stream keep serving.
        beat = await fleet.agent_stubs["a"].Heartbeat(
            T.HeartbeatRequest(agent_version="after-garbage"), metadata=server.metadata, timeout=5
        )
        assert beat.accepted
        await agent.send(GARBAGE)
        command = await fleet.issue(server, EXEC)
        await agent.wait_for(1)
        await agent.finish(command.id, "completed", "alive")
        await fleet.status_of(server, command.id, "completed")
        assert not agent.ended.is_set()
