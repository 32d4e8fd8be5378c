"""Cancel (pending at once, dispatched/running through CANCEL_COMMAND), drain, queue depth and history."""

from __future__ import annotations

import json

import grpc
import pytest
from agent.v1 import agent_pb2 as T
from switchyard.agents.v1 import agents_service_pb2 as svc

pytestmark = pytest.mark.integration

EXEC = T.COMMAND_TYPE_EXEC


def cancel(command_id: str) -> svc.CancelCommandRequest:
    return svc.CancelCommandRequest(command_id=command_id)


async def test_cancel_of_a_pending_command_is_immediate_and_it_is_never_delivered(fleet) -> None:
    server = await fleet.enrol()
    command = await fleet.issue(server, EXEC)
    done = await fleet.call("CancelCommand", cancel(command.id), fleet.owner(server.org))
    assert (done.cancelled, done.status, done.cancel_command_id) == (True, "cancelled", "")
    stored = await fleet.command(server, command.id)
    assert stored.final
    assert stored.HasField("finished_at")
    async with fleet.agent(server, answer=False) as agent:
        marker = await fleet.issue(server, EXEC)
        await agent.wait_for(1)
        assert [c.id for c in agent.received] == [marker.id]
    again = await fleet.fails("CancelCommand", cancel(command.id), fleet.owner(server.org))
    assert (again.code(), again.details()) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "command already cancelled",
    )


async def test_cancel_of_a_running_command_sends_cancel_command_to_the_agent(fleet) -> None:
    server = await fleet.enrol()
    async with fleet.agent(server, via="b") as agent:
        command = await fleet.issue(server, EXEC)
        await agent.wait_for(1)
        await agent.progress(command.id, "working\n")
        await fleet.status_of(server, command.id, "running")
        done = await fleet.call("CancelCommand", cancel(command.id), fleet.owner(server.org), via="a")
        assert (done.cancelled, done.status) == (True, "running")
        await agent.wait_for(2)
        sent = agent.received[1]
        assert (sent.id, sent.type) == (done.cancel_command_id, T.COMMAND_TYPE_CANCEL_COMMAND)
        assert json.loads(sent.payload) == {"cancel_command_id": command.id}
        target = await fleet.status_of(server, command.id, "cancelled")
        assert target.output == "working\ncancelled by CANCEL_COMMAND"
        await fleet.status_of(server, done.cancel_command_id, "completed")


async def test_drain_cancels_every_pending_command_and_depth_counts_by_state(fleet) -> None:
    server = await fleet.enrol()
    member = fleet.member(server.org)
    async with fleet.agent(server, answer=False) as agent:
        running = await fleet.issue(server, EXEC)
        await agent.wait_for(1)
        await agent.progress(running.id, "x")
        await fleet.status_of(server, running.id, "running")
        # Delivered but never acknowledged: these stay pending.
        agent.ack = False
        pending = [await fleet.issue(server, EXEC) for _ in range(3)]
        depth = await fleet.call("GetQueueDepth", svc.GetQueueDepthRequest(server_id=server.id), member)
        assert (depth.pending, depth.dispatched, depth.running) == (3, 0, 1)
        drained = await fleet.call(
            "DrainQueue", svc.DrainQueueRequest(server_id=server.id), fleet.owner(server.org)
        )
        assert drained.drained == 3
        for command in pending:
            assert (await fleet.command(server, command.id)).status == "cancelled"
        depth = await fleet.call("GetQueueDepth", svc.GetQueueDepthRequest(server_id=server.id), member)
        assert (depth.pending, depth.dispatched, depth.running) == (0, 0, 1)
    denied = await fleet.fails("DrainQueue", svc.DrainQueueRequest(server_id=server.id), member)
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_history_pages_newest_first_and_filters_by_status(fleet) -> None:
    server = await fleet.enrol()
    issued = [await fleet.issue(server, EXEC, {"i": i}) for i in range(5)]
    await fleet.call("CancelCommand", cancel(issued[1].id), fleet.owner(server.org))
    member = fleet.member(server.org)
    seen, cursor = [], ""
    for _ in range(3):
        page = await fleet.call(
            "ListCommands", svc.ListCommandsRequest(server_id=server.id, limit=2, cursor=cursor), member
        )
        seen += [c.id for c in page.commands]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == [c.id for c in reversed(issued)]
    only = await fleet.call(
        "ListCommands", svc.ListCommandsRequest(server_id=server.id, statuses=["cancelled"]), member
    )
    assert [c.id for c in only.commands] == [issued[1].id]
    for request, message in [
        (svc.ListCommandsRequest(server_id=server.id, limit=501), "limit must be between 1 and 500"),
        (svc.ListCommandsRequest(server_id=server.id, cursor="%%%"), "cursor is invalid"),
        (svc.ListCommandsRequest(server_id=server.id, statuses=["done"]), "status must be one of"),
    ]:
        error = await fleet.fails("ListCommands", request, member)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error.details().startswith(message)
