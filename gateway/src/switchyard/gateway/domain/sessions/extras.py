"""Per-session worker extras (Rensei §2.4, §2.5): the session inbox and its ACK.

Worker posts take the runtime JWT and the workers service checks the session is the caller's
(404 unknown, 403 "Session is owned by another worker"); queueing an inbox message takes an org key
or an org admin/owner, like queueing work.
"""

from __future__ import annotations

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from switchyard.gateway.auth.workers import DAEMON, WORKER_ANY
from switchyard.gateway.domain.sessions import extras_schemas as x
from switchyard.gateway.domain.workers.schemas import InboxMessageOut, inbox_message
from switchyard.gateway.schema import json_to_struct
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal
from switchyard.workers.v1 import workers_service_pb2 as pb

TAGS = ["Worker Protocol"]
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


class SessionExtrasController(Controller):
    """``/api/sessions/{id}/inbox*``."""

    path = "/api/sessions"
    tags = TAGS
    security = SECURITY

    @post(
        "/{id:str}/inbox",
        status_code=201,
        dependencies=DAEMON,
        operation_id="postSessionInboxMessage",
        description="Queue an inbox message (stop, directive, hook-result or nudge) for the worker running the session; it arrives in the worker's poll (inboxMessages) until the worker ACKs it. stop goes to the urgent lane unless a lane is given. An org key (rsk_live_) of the org, or an org admin/owner with X-Tenant-ID; 409 once the session has ended.",  # noqa: E501
    )
    async def post_inbox(
        self,
        id: FromPath[str],
        data: JSONBody[x.InboxPost],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> InboxMessageOut:
        """Queue a message."""
        request = pb.PostInboxMessageRequest(
            session_id=id,
            type=data.type,
            payload=json_to_struct(data.payload),
            lane=data.lane or "",
            user_id=data.user_id,
            user_name=data.user_name,
        )
        response = await gateway.workers.post_inbox_message(principal, request)
        return inbox_message(response.message)

    @post(
        "/{id:str}/inbox/ack",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="ackSessionInbox",
        description="Acknowledge an inbox message (Redis XACK on the session's lane stream, group inbox-readers, consumer worker:{workerId}). 400 when messageId or lane is missing; 403 when the session is owned by another worker.",  # noqa: E501
    )
    async def ack_inbox(
        self,
        id: FromPath[str],
        data: JSONBody[x.InboxAck],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> x.InboxAcked:
        """XACK one message."""
        request = pb.AckInboxMessageRequest(
            session_id=id, worker_id=principal.worker_id, message_id=data.message_id, lane=data.lane
        )
        response = await gateway.workers.ack_inbox_message(principal, request)
        return x.InboxAcked(acknowledged=response.acknowledged)


ROUTES = [SessionExtrasController]
