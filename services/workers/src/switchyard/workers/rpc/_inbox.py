"""Inbox RPCs: pb <-> domain only."""

from __future__ import annotations

from switchyard.grpckit.principal import get_principal
from switchyard.workers.domain.sessions.inbox import InboxMessage
from switchyard.workers.rpc._base import Context, ServicerBase, from_struct, struct, ts
from switchyard.workers.v1 import workers_pb2 as pb
from switchyard.workers.v1 import workers_service_pb2 as svc


def inbox_message(m: InboxMessage) -> pb.InboxMessage:
    """A message as the poll hands it out."""
    return pb.InboxMessage(
        id=m.id,
        type=m.type,
        session_id=m.session_id,
        payload=struct(m.payload),
        user_id=m.user_id,
        user_name=m.user_name,
        created_at=ts(m.created_at),
        lane=m.lane,
    )


class InboxRpc(ServicerBase):
    """PostInboxMessage and AckInboxMessage."""

    async def PostInboxMessage(
        self, request: svc.PostInboxMessageRequest, context: Context
    ) -> svc.PostInboxMessageResponse:
        """Queue a message for a session."""
        message = await self._s.inbox.post(
            principal=get_principal(),
            session_id=request.session_id,
            type=request.type,
            payload=from_struct(request.payload),
            lane=request.lane,
            user_id=request.user_id,
            user_name=request.user_name,
        )
        return svc.PostInboxMessageResponse(message=inbox_message(message))

    async def AckInboxMessage(
        self, request: svc.AckInboxMessageRequest, context: Context
    ) -> svc.AckInboxMessageResponse:
        """XACK one message."""
        done = await self._s.inbox.ack(
            principal=get_principal(),
            session_id=request.session_id,
            worker_id=request.worker_id,
            message_id=request.message_id,
            lane=request.lane,
        )
        return svc.AckInboxMessageResponse(acknowledged=done)
