"""``/api/messages``: the signed-in user's inbox."""

from __future__ import annotations

from litestar import Controller, get, patch
from litestar.di import NamedDependency
from litestar.params import FromPath
from switchyard.gateway.auth.deps import USER
from switchyard.gateway.domain.messages import schemas as s
from switchyard.gateway.schema import MessageResponse
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal


class MessagesController(Controller):
    """The caller's own messages; another user's message id is a 404."""

    path = "/api/messages"
    tags = ["Messages"]
    dependencies = USER
    security = [{"bearer": []}]

    @get(
        "/",
        operation_id="ListMessages",
        description="Returns all messages for the authenticated user, sorted by creation date (newest first). Messages include system notifications like invitation alerts.",  # noqa: E501
    )
    async def list_messages(
        self, principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.MessageList:
        """The caller's messages."""
        response = await gateway.identity.list_messages(principal)
        return s.messages_from_pb(response.messages)

    @get(
        "/unread-count",
        operation_id="GetUnreadCount",
        description="Returns the number of unread messages for the authenticated user. Use this for notification badges.",  # noqa: E501
    )
    async def unread_count(
        self, principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.UnreadCount:
        """How many messages are unread."""
        return s.UnreadCount(count=await gateway.identity.get_unread_count(principal))

    @patch(
        "/{messageId:str}/read",
        operation_id="MarkMessageRead",
        description="Marks a specific message as read. Only the message owner can mark it as read.",
    )
    async def mark_read(
        self,
        messageId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> MessageResponse:
        """Mark one message read."""
        await gateway.identity.mark_message_read(principal, message_id=messageId)
        return MessageResponse(message="Marked as read")


ROUTES = [MessagesController]
