"""A user's inbox."""

from __future__ import annotations

from switchyard.grpckit.errors import NotFound
from switchyard.grpckit.principal import Principal
from switchyard.identity.domain.common import find_id
from switchyard.identity.domain.context import Deps, caller_id
from switchyard.identity.domain.messages import repository as message_repo
from switchyard.identity.domain.messages.models import MessageView


class MessageService:
    """ListMessages, GetUnreadCount, MarkMessageRead."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def list_messages(self, *, principal: Principal) -> list[MessageView]:
        """The caller's newest messages first (at most 100)."""
        user_id = caller_id(principal)
        async with self._d.sessions() as s:
            return [MessageView.of(row) for row in await message_repo.newest(s, user_id=user_id)]

    async def unread_count(self, *, principal: Principal) -> int:
        """How many of the caller's messages are unread."""
        user_id = caller_id(principal)
        async with self._d.sessions() as s:
            return await message_repo.unread_count(s, user_id=user_id)

    async def mark_read(self, *, principal: Principal, message_id: str) -> None:
        """Mark one of the caller's messages read; anyone else's is NOT_FOUND."""
        user_id = caller_id(principal)
        mid = find_id(message_id, not_found="message not found")
        async with self._d.sessions.begin() as s:
            if not await message_repo.mark_read(s, user_id=user_id, message_id=mid):
                raise NotFound("message not found")
