"""Session inboxes: messages for a running agent (stop, directive, hook result, nudge), read through poll."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from switchyard.grpckit.errors import Conflict, InvalidArgument, NotFound
from switchyard.grpckit.principal import Principal
from switchyard.workers.domain.common import from_ms, optional, to_ms
from switchyard.workers.domain.context import Deps, require_queue_writer, require_worker
from switchyard.workers.domain.ports import InboxEntry
from switchyard.workers.domain.sessions import repository as repo
from switchyard.workers.domain.sessions.fsm import TERMINAL
from switchyard.workers.domain.sessions.ownership import owned

INBOX_TYPES = ("stop", "directive", "hook-result", "nudge")
LANES = ("urgent", "normal")
# Reference §2.3: inbox streams are kept 7 days.
INBOX_TTL_SECONDS = 7 * 24 * 3600
_ENTRY_ID = re.compile(r"^\d+-\d+$")


@dataclass(frozen=True, slots=True)
class InboxMessage:
    """A message as the worker receives it."""

    id: str
    type: str
    session_id: str
    payload: dict[str, Any]
    user_id: str
    user_name: str
    created_at: datetime
    lane: str


def _lane(value: str, *, default: str) -> str:
    lane = (value or "").strip() or default
    if lane not in LANES:
        raise InvalidArgument("lane must be one of urgent, normal")
    return lane


def _message(entry: InboxEntry) -> InboxMessage:
    f = entry.fields
    return InboxMessage(
        id=entry.id,
        type=f.get("type", ""),
        session_id=entry.session_id,
        payload=json.loads(f.get("payload") or "{}"),
        user_id=f.get("user_id", ""),
        user_name=f.get("user_name", ""),
        created_at=from_ms(int(f.get("created_at") or entry.id.split("-", 1)[0])),
        lane=entry.lane,
    )


class InboxService:
    """PostInboxMessage, AckInboxMessage, and the inbox part of PollWork."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def post(
        self,
        *,
        principal: Principal,
        session_id: str,
        type: str,
        payload: dict[str, Any],
        lane: str,
        user_id: str = "",
        user_name: str = "",
    ) -> InboxMessage:
        """Queue a message for a live session of the caller's org; a stop goes to the urgent lane."""
        org = require_queue_writer(principal)
        if type not in INBOX_TYPES:
            raise InvalidArgument(f"type must be one of {', '.join(INBOX_TYPES)}")
        chosen = _lane(lane, default="urgent" if type == "stop" else "normal")
        async with self._d.reads() as s:
            row = await repo.get(s, session_id) if session_id else None
        if row is None or row.org_id != org:
            raise NotFound("Session not found")
        if row.status in TERMINAL:
            raise Conflict(f"Session is {row.status}")
        now = self._d.clock()
        fields = {
            "type": type,
            "payload": json.dumps(payload),
            "user_id": optional(user_id, field="userId", max_len=255),
            "user_name": optional(user_name, field="userName", max_len=255),
            "created_at": str(to_ms(now)),
        }
        entry_id = await self._d.inbox.add(session_id, chosen, fields, ttl_seconds=INBOX_TTL_SECONDS)
        return _message(InboxEntry(id=entry_id, session_id=session_id, lane=chosen, fields=fields))

    async def unacked(self, *, principal: Principal, worker_id: str) -> list[InboxMessage]:
        """Messages for the sessions the worker holds that it has not ACKed yet (Redis only)."""
        wid = require_worker(principal, worker_id)
        held = await self._d.fleet.held(wid)
        return [_message(entry) for entry in await self._d.inbox.read(wid, sorted(held))]

    async def ack(
        self, *, principal: Principal, session_id: str, worker_id: str, message_id: str, lane: str
    ) -> bool:
        """XACK a message of a session the calling worker holds."""
        missing = [name for name, value in (("messageId", message_id), ("lane", lane)) if not value]
        if missing:
            raise InvalidArgument(f"{', '.join(missing)} is required")
        chosen = _lane(lane, default="")
        if not _ENTRY_ID.match(message_id):
            raise InvalidArgument("messageId must be a stream entry id")
        async with self._d.reads() as s:
            row, wid = await owned(s, principal=principal, session_id=session_id, worker_id=worker_id)
        await self._d.inbox.ack(session_id, chosen, message_id)
        if row.status in TERMINAL:
            # The worker read what was left for a stopped session (the public stop keeps it held until then).
            await self._d.fleet.let_go(wid, row.id)
        return True
