"""What agents report about a session: activities, progress milestones and the completion summary."""

from __future__ import annotations

from switchyard.grpckit.errors import InvalidArgument
from switchyard.grpckit.principal import Principal
from switchyard.workers.domain.common import optional, required
from switchyard.workers.domain.context import Deps, require_worker_id
from switchyard.workers.domain.sessions import repository as repo
from switchyard.workers.domain.sessions.models import ActivityInput, chunk
from switchyard.workers.domain.sessions.ownership import owned

ACTIVITY_TYPES = ("thought", "action", "response", "context", "error")
PLAN_STATES = ("pending", "inProgress", "completed", "canceled")
MAX_PLAN_ITEMS = 200


def _plan(items: list[tuple[str, str]]) -> list[dict[str, str]]:
    if len(items) > MAX_PLAN_ITEMS:
        raise InvalidArgument(f"planItems must have at most {MAX_PLAN_ITEMS} entries")
    plan = []
    for title, state in items:
        if state not in PLAN_STATES:
            raise InvalidArgument(f"planItems.state must be one of {', '.join(PLAN_STATES)}")
        plan.append({"title": required(title, field="planItems.title", max_len=1000), "state": state})
    return plan


class ReportService:
    """PostActivity, PostCompletion and PostProgress."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def activity(
        self, *, principal: Principal, session_id: str, worker_id: str, activity: ActivityInput
    ) -> bool:
        """Record one activity; tool calls also update the session's tool counters."""
        require_worker_id(worker_id)
        if activity.type not in ACTIVITY_TYPES:
            raise InvalidArgument(f"activity.type must be one of {', '.join(ACTIVITY_TYPES)}")
        content = optional(activity.content, field="activity.content", max_len=200_000)
        tool = optional(activity.tool_name, field="activity.toolName", max_len=255)
        now = self._d.clock()
        async with self._d.sessions() as s, s.begin():
            row, wid = await owned(
                s, principal=principal, session_id=session_id, worker_id=worker_id, lock=bool(tool)
            )
            repo.add_activity(
                s,
                row=row,
                worker_id=wid,
                kind="activity",
                now=now,
                type=activity.type,
                content=content,
                tool_name=tool,
                data=activity.tool_input,
                occurred_at=activity.timestamp,
            )
            if tool:
                row.last_tool_name = tool
                row.last_tool_called_at = activity.timestamp or now
                row.tool_call_count += 1
                row.updated_at = now
        return True

    async def completion(
        self,
        *,
        principal: Principal,
        session_id: str,
        worker_id: str,
        summary: str,
        plan: list[tuple[str, str]],
    ) -> int:
        """Store the summary split into parts of at most 10,000 characters; the number of parts."""
        if not (summary or "").strip():
            raise InvalidArgument("summary is required")
        items = _plan(plan)
        parts = chunk(summary)
        now = self._d.clock()
        async with self._d.sessions() as s, s.begin():
            # The summary may come without workerId; the runtime token still names the worker.
            row, wid = await owned(s, principal=principal, session_id=session_id, worker_id=worker_id)
            for number, text in enumerate(parts, start=1):
                data = {"planItems": items} if number == 1 and items else {}
                repo.add_activity(
                    s,
                    row=row,
                    worker_id=wid,
                    kind="completion",
                    now=now,
                    type="summary",
                    content=text,
                    data=data,
                    part=number,
                    total_parts=len(parts),
                )
        return len(parts)

    async def progress(
        self, *, principal: Principal, session_id: str, worker_id: str, milestone: str, message: str
    ) -> str:
        """Record a progress milestone; returns the milestone stored."""
        text = required(message, field="message", max_len=10_000)
        name = optional(milestone, field="milestone", max_len=255)
        now = self._d.clock()
        async with self._d.sessions() as s, s.begin():
            row, wid = await owned(s, principal=principal, session_id=session_id, worker_id=worker_id)
            repo.add_activity(s, row=row, worker_id=wid, kind="progress", now=now, type=name, content=text)
        return name
