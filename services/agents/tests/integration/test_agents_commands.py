"""The durable command path: queued before connect, ACK, progress + final, routed across replicas."""

from __future__ import annotations

import asyncio
import json

import grpc
import pytest
from agent.v1 import agent_pb2 as T
from switchyard.agents.v1 import agents_service_pb2 as svc

pytestmark = pytest.mark.integration

EXEC = T.COMMAND_TYPE_EXEC


async def test_a_command_issued_before_the_agent_connects_is_delivered_when_it_does(fleet) -> None:
    server = await fleet.enrol()
    first = await fleet.issue(server, EXEC, {"container_name": "a"})
    second = await fleet.issue(server, EXEC, {"container_name": "b"})
    assert (first.status, first.final, first.type_name) == ("pending", False, "COMMAND_TYPE_EXEC")
    async with fleet.agent(server, answer=False) as agent:
        received = await agent.wait_for(2)
        # Oldest first, with the JSON payload and the enum type.
        assert [c.id for c in received] == [first.id, second.id]
        assert json.loads(received[0].payload) == {"container_name": "a"}
        assert received[0].type == EXEC
        await fleet.status_of(server, first.id, "dispatched")


async def test_ack_moves_pending_to_dispatched_only_for_the_callers_own_commands(fleet) -> None:
    server, other = await fleet.enrol(), await fleet.enrol()
    async with fleet.agent(server, answer=False, ack=False) as agent:
        command = await fleet.issue(server, EXEC)
        await agent.wait_for(1)
        assert (await fleet.command(server, command.id)).status == "pending"
        # Another server's agent acking it changes nothing; an unknown id is answered OK.
        other_stub = fleet.agent_stubs["a"]
        await other_stub.AckCommand(
            T.CommandAck(command_id=command.id, phase="received"), metadata=other.metadata
        )
        await other_stub.AckCommand(
            T.CommandAck(command_id="nope", phase="received"), metadata=other.metadata
        )
        assert (await fleet.command(server, command.id)).status == "pending"
        await agent.stub.AckCommand(
            T.CommandAck(command_id=command.id, server_id=server.id, phase="received"),
            metadata=server.metadata,
        )
        acked = await fleet.command(server, command.id)
        assert acked.status == "dispatched"
        assert acked.HasField("dispatched_at")


async def test_progress_frames_then_one_final_frame(fleet) -> None:
    server = await fleet.enrol()
    async with fleet.agent(server, answer=False) as agent:
        command = await fleet.issue(server, EXEC)
        await agent.wait_for(1)
        await fleet.status_of(server, command.id, "dispatched")
        await agent.progress(command.id, "step 1\n")
        running = await fleet.status_of(server, command.id, "running")
        assert running.HasField("started_at")
        assert not running.final
        await agent.progress(command.id, "step 2\n")
        await agent.finish(command.id, "completed", "done\n")
        done = await fleet.status_of(server, command.id, "completed")
        assert done.output == "step 1\nstep 2\ndone\n"
        assert done.final
        assert done.HasField("finished_at")
        assert done.started_at == running.started_at
        # A second final frame for a finished command changes nothing.
        await agent.finish(command.id, "failed", "late")
        await agent.progress(command.id, "later")
        probe = await fleet.issue(server, T.COMMAND_TYPE_AGENT_PING)
        await agent.finish(probe.id, "completed", "{}")
        await fleet.status_of(server, probe.id, "completed")
        assert (await fleet.command(server, command.id)).output == "step 1\nstep 2\ndone\n"


async def test_unknown_final_statuses_are_stored_as_failed(fleet) -> None:
    server = await fleet.enrol()
    async with fleet.agent(server, answer=False) as agent:
        command = await fleet.issue(server, EXEC)
        await agent.wait_for(1)
        await agent.finish(command.id, "exploded", "boom")
        assert (await fleet.status_of(server, command.id, "failed")).output == "boom"


async def test_a_command_issued_through_either_replica_reaches_the_agent_on_the_other(fleet) -> None:
    server = await fleet.enrol()
    async with fleet.agent(server, via="b") as agent:
        assert not await fleet.stream_on(server, "a")
        issued = await fleet.issue(server, EXEC, {"n": 1}, via="a")
        await agent.wait_for(1)
        assert agent.received[0].id == issued.id
        await agent.finish(issued.id, "completed", "ran on b")
        # RunCommand through A wakes on the result committed by B.
        request = svc.RunCommandRequest(
            server_id=server.id, type=T.COMMAND_TYPE_AGENT_PING, timeout_ms=10_000
        )
        ran = (await fleet.call("RunCommand", request, fleet.owner(server.org), via="a")).command
        assert (ran.status, ran.final) == ("completed", True)
        assert "agent_time_nanos" in json.loads(ran.output)
        assert (await fleet.command(server, issued.id)).output == "ran on b"


async def test_run_command_times_out_with_the_command_as_stored(fleet) -> None:
    server = await fleet.enrol()
    async with fleet.agent(server, answer=False):
        request = svc.RunCommandRequest(server_id=server.id, type=EXEC, timeout_ms=300)
        ran = (await fleet.call("RunCommand", request, fleet.owner(server.org))).command
        assert ran.final is False
        assert ran.status in ("pending", "dispatched")


async def test_a_killed_agent_leaves_the_truth_and_pending_commands_are_redelivered(fleet) -> None:
    server = await fleet.enrol()
    async with fleet.agent(server, answer=False) as agent:
        started = await fleet.issue(server, EXEC)
        await agent.wait_for(1)
        await agent.progress(started.id, "half way\n")
        await fleet.status_of(server, started.id, "running")
    # The agent is gone mid-command: it can never report, so the command failed, saying why.
    await fleet.until(lambda: _not(fleet.stream_on(server, "a")))
    failed = await fleet.status_of(server, started.id, "failed")
    assert failed.output == "half way\n\nagent disconnected mid-command\n"
    queued = await fleet.issue(server, EXEC)
    async with fleet.agent(server, via="b", answer=False, ack=False) as again:
        received = await again.wait_for(1)
        # Only the still-pending one comes again; the interrupted one is not re-run behind the operator's
        # back.
        assert [c.id for c in received] == [queued.id]
    depth = await fleet.call(
        "GetQueueDepth", svc.GetQueueDepthRequest(server_id=server.id), fleet.member(server.org)
    )
    assert (depth.pending, depth.dispatched, depth.running) == (1, 0, 0)


async def _not(value: object) -> bool:
    return not await value  # type: ignore[misc]


async def test_malformed_and_foreign_frames_do_not_kill_the_stream(fleet) -> None:
    server, other = await fleet.enrol(), await fleet.enrol()
    async with fleet.agent(other, answer=False) as other_agent:
        foreign = await fleet.issue(other, EXEC)
        await other_agent.wait_for(1)
        async with fleet.agent(server, answer=False) as agent:
            await agent.send(b"\xff\xff\xff\x0f garbage")
            await agent.send(T.CommandResult(command_id="no-such-command", status="completed", is_final=True))
            await agent.send(T.CommandResult(command_id=foreign.id, status="completed", is_final=True))
            await agent.send(T.CommandResult(status="completed", is_final=True))
            mine = await fleet.issue(server, EXEC)
            await agent.wait_for(1)
            await agent.finish(mine.id, "completed", "still alive")
            await fleet.status_of(server, mine.id, "completed")
            assert not agent.ended.is_set()
        assert (await fleet.command(other, foreign.id)).status == "dispatched"


async def test_a_newer_stream_replaces_the_older_one_on_any_replica(fleet) -> None:
    server = await fleet.enrol()
    async with (
        fleet.agent(server, via="a", answer=False) as old,
        fleet.agent(server, via="b", answer=False) as new,
    ):
        async with asyncio.timeout(10):
            await old.ended.wait()
        await fleet.until(lambda: _not(fleet.stream_on(server, "a")))
        command = await fleet.issue(server, EXEC, via="a")
        await new.wait_for(1)
        assert new.received[0].id == command.id
        assert old.received == []


async def test_issue_validates_type_and_payload_naming_the_field(fleet) -> None:
    server = await fleet.enrol()
    cases = {
        (0, ""): "type is required",
        (7, ""): "type 7 is not a known agent.v1 CommandType",
        (EXEC, "[1, 2]"): "payload_json must be a JSON object",
        (EXEC, "{nope"): "payload_json must be valid JSON",
    }
    for (kind, payload), message in cases.items():
        request = svc.IssueCommandRequest(server_id=server.id, type=kind, payload_json=payload)
        error = await fleet.fails("IssueCommand", request, fleet.owner(server.org))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error.details().startswith(message)
    request = svc.RunCommandRequest(server_id=server.id, type=EXEC, timeout_ms=300_001)
    error = await fleet.fails("RunCommand", request, fleet.owner(server.org))
    assert (error.code(), error.details()) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "timeout_ms must be between 1 and 300000",
    )


async def test_who_may_issue_and_read(fleet) -> None:
    server = await fleet.enrol()
    request = svc.IssueCommandRequest(server_id=server.id, type=EXEC)
    denied = await fleet.fails("IssueCommand", request, fleet.member(server.org, "user"))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    by_service = (await fleet.call("IssueCommand", request, fleet.service(server.org))).command
    assert by_service.requested_by == "service"
    read = await fleet.call(
        "GetCommand", svc.GetCommandRequest(command_id=by_service.id), fleet.member(server.org, "user")
    )
    assert read.command.id == by_service.id


async def test_another_orgs_server_and_command_are_not_found(fleet) -> None:
    server = await fleet.enrol()
    command = await fleet.issue(server, EXEC)
    stranger = fleet.owner(fleet.new_org())
    calls = [
        ("IssueCommand", svc.IssueCommandRequest(server_id=server.id, type=EXEC)),
        ("GetCommand", svc.GetCommandRequest(command_id=command.id)),
        ("CancelCommand", svc.CancelCommandRequest(command_id=command.id)),
        ("ListCommands", svc.ListCommandsRequest(server_id=server.id)),
        ("GetQueueDepth", svc.GetQueueDepthRequest(server_id=server.id)),
        ("DrainQueue", svc.DrainQueueRequest(server_id=server.id)),
        ("GetServer", svc.GetServerRequest(server_id=server.id)),
        ("DeleteServer", svc.DeleteServerRequest(server_id=server.id)),
        ("GetServerStatus", svc.GetServerStatusRequest(server_id=server.id)),
        ("PingServer", svc.PingServerRequest(server_id=server.id)),
        ("RestartAgent", svc.RestartAgentRequest(server_id=server.id)),
        ("GetAgentLogs", svc.GetAgentLogsRequest(server_id=server.id)),
        ("DisconnectServer", svc.DisconnectServerRequest(server_id=server.id)),
    ]
    for method, request in calls:
        error = await fleet.fails(method, request, stranger)
        assert error.code() == grpc.StatusCode.NOT_FOUND, method
    assert (await fleet.command(server, command.id)).status == "pending"
