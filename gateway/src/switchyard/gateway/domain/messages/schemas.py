"""Bodies of ``/api/messages``."""

from __future__ import annotations

from typing import Any

from switchyard.gateway.schema import CamelStruct, rfc3339


class Message(CamelStruct):
    """One notification in the user's inbox."""

    id: str
    user_id: str
    type: str
    title: str
    body: str
    is_read: bool
    created_at: str


class MessageList(CamelStruct):
    """``GET /api/messages``."""

    messages: list[Message]


class UnreadCount(CamelStruct):
    """``GET /api/messages/unread-count``."""

    count: int


def messages_from_pb(messages: Any) -> MessageList:
    """Map repeated ``identity.v1.Message``."""
    return MessageList(
        messages=[
            Message(
                id=m.id,
                user_id=m.user_id,
                type=m.type,
                title=m.title,
                body=m.body,
                is_read=m.is_read,
                created_at=rfc3339(m.created_at),
            )
            for m in messages
        ]
    )
