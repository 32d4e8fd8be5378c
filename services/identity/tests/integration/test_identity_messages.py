"""The inbox over real gRPC: newest first, unread count, marking read only your own."""

from __future__ import annotations

import uuid

import grpc
import pytest
from switchyard.identity.v1 import identity_pb2 as pb
from switchyard.identity.v1 import identity_service_pb2 as svc

pytestmark = pytest.mark.integration


async def test_inbox_lists_counts_and_marks_read(identity) -> None:
    member = await identity.register()
    owners = [await identity.register(name=f"Team{i} Owner") for i in range(2)]
    for owner in owners:
        await identity.call(
            "InviteMember",
            svc.InviteMemberRequest(email=member.email, role=pb.ROLE_USER),
            identity.user(owner),
        )
    me = identity.user(member)
    listed = await identity.call("ListMessages", svc.ListMessagesRequest(), me)
    assert [m.title for m in listed.messages] == [
        "You're invited to join Team1's Team",
        "You're invited to join Team0's Team",
    ]
    assert all(m.user_id == member.user_id for m in listed.messages)
    assert (await identity.call("GetUnreadCount", svc.GetUnreadCountRequest(), me)).count == 2

    newest = listed.messages[0].id
    await identity.call("MarkMessageRead", svc.MarkMessageReadRequest(message_id=newest), me)
    assert (await identity.call("GetUnreadCount", svc.GetUnreadCountRequest(), me)).count == 1
    listed = await identity.call("ListMessages", svc.ListMessagesRequest(), me)
    assert [m.is_read for m in listed.messages] == [True, False]

    other = await identity.register()
    for message_id in (listed.messages[1].id, str(uuid.uuid4()), "garbage"):
        error = await identity.fails(
            "MarkMessageRead", svc.MarkMessageReadRequest(message_id=message_id), identity.user(other)
        )
        assert error.code() == grpc.StatusCode.NOT_FOUND
    assert (await identity.call("GetUnreadCount", svc.GetUnreadCountRequest(), me)).count == 1
