"""Bodies of the per-session worker extras (Rensei §2.4, §2.5)."""

from __future__ import annotations

from typing import Any, Literal

from switchyard.gateway.schema import CamelStruct, NonEmptyStr

InboxType = Literal["stop", "directive", "hook-result", "nudge"]
Lane = Literal["urgent", "normal"]


class InboxPost(CamelStruct):
    """``POST /api/sessions/{id}/inbox``: a message for the worker running the session."""

    type: InboxType
    payload: dict[str, Any] = {}
    # Empty means urgent for stop and normal otherwise.
    lane: Lane | None = None
    user_id: str = ""
    user_name: str = ""


class InboxAck(CamelStruct):
    """``POST /api/sessions/{id}/inbox/ack``."""

    message_id: NonEmptyStr
    lane: Lane


class InboxAcked(CamelStruct):
    """``POST /api/sessions/{id}/inbox/ack`` answer."""

    acknowledged: bool
