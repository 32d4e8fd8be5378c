"""Bodies of the session routes (Rensei §2.2-§2.4, §2.6) and their mapping to ``workers.v1``.

Session times are epoch ms (``AgentSessionState``); unset ones are null.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.gateway.domain.workers.schemas import queued_work
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.schema import CamelStruct, NonEmptyStr, epoch_ms_or_none, json_to_struct
from switchyard.workers.v1 import workers_pb2
from switchyard.workers.v1 import workers_service_pb2 as pb

Priority = Annotated[int, msgspec.Meta(ge=1, le=5)]
NonNegative = Annotated[int, msgspec.Meta(ge=0)]
Cost = Annotated[float, msgspec.Meta(ge=0)]
PostableStatus = Literal["running", "finalizing", "completed", "failed", "stopped"]


class SessionState(CamelStruct):
    """``AgentSessionState``: a session as ``GET /api/sessions/{id}/status`` returns it."""

    linear_session_id: str
    tracker_session_id: str
    issue_id: str
    issue_identifier: str
    provider_session_id: str | None
    worktree_path: str | None
    status: str
    created_at: int | None
    updated_at: int | None
    worker_id: str | None
    queued_at: int | None
    claimed_at: int | None
    priority: int
    prompt_context: str | None
    organization_id: str
    work_type: str | None
    agent_id: str | None
    project_name: str | None
    provider: str | None
    total_cost_usd: float
    input_tokens: int
    output_tokens: int
    last_tool_name: str | None
    last_tool_called_at: int | None
    tool_call_count: int
    repository: str | None
    project_id: str | None
    error_message: str | None
    finished_at: int | None


class SessionCreate(CamelStruct):
    """``POST /api/sessions``: queue work for an issue."""

    issue_id: NonEmptyStr
    issue_identifier: str = ""
    priority: Priority | None = None
    prompt: str = ""
    work_type: str = ""
    project_name: str = ""
    repository: str = ""
    session_id: str = ""
    project_id: str = ""
    # Opaque fields handed to the daemon with the work (ref, env, kits, model, resolvedProfile, ...).
    extras: dict[str, Any] = {}


class SessionCreated(CamelStruct):
    """``POST /api/sessions`` answer."""

    session: SessionState


class ErrorInfo(CamelStruct):
    """The error a worker reports with a failed status."""

    message: str = ""


class StatusUpdate(CamelStruct):
    """``POST /api/sessions/{id}/status``."""

    worker_id: NonEmptyStr
    status: PostableStatus
    provider_session_id: str = ""
    worktree_path: str = ""
    error: ErrorInfo | None = None
    total_cost_usd: Cost | None = None
    input_tokens: NonNegative | None = None
    output_tokens: NonNegative | None = None
    reason: str = ""


class StatusUpdated(CamelStruct):
    """``POST /api/sessions/{id}/status`` answer."""

    updated: bool
    session: SessionState


class Nack(CamelStruct):
    """``POST /api/sessions/{id}/nack``; ``work`` is the QueuedWork the worker refused (informational)."""

    worker_id: NonEmptyStr
    reason: str = ""
    work: dict[str, Any] | None = None


class Nacked(CamelStruct):
    """``POST /api/sessions/{id}/nack`` answer."""

    nacked: bool
    session_id: str
    requeued: bool


class ActivityIn(CamelStruct):
    """One agent activity; ``timestamp`` is epoch ms or an RFC 3339 string."""

    type: Literal["thought", "action", "response", "context", "error"]
    content: str = ""
    tool_name: str = ""
    tool_input: Any = None
    timestamp: int | float | str | None = None


class ActivityPost(CamelStruct):
    """``POST /api/sessions/{id}/activity``."""

    activity: ActivityIn
    worker_id: str = ""


class ActivityForwarded(CamelStruct):
    """``POST /api/sessions/{id}/activity`` answer."""

    forwarded: bool
    linear_session_id: str


class PlanItemIn(CamelStruct):
    """A line of a completion's plan."""

    title: str
    state: Literal["pending", "inProgress", "completed", "canceled"]


class CompletionPost(CamelStruct):
    """``POST /api/sessions/{id}/completion``: an empty summary is refused."""

    summary: NonEmptyStr
    worker_id: str = ""
    plan_items: list[PlanItemIn] = []


class CompletionPosted(CamelStruct):
    """``POST /api/sessions/{id}/completion`` answer: ``posted`` parts of ``totalParts``."""

    posted: int
    parts_posted: int
    total_parts: int


class ProgressPost(CamelStruct):
    """``POST /api/sessions/{id}/progress``."""

    message: NonEmptyStr
    worker_id: str = ""
    milestone: str = ""


class ProgressPosted(CamelStruct):
    """``POST /api/sessions/{id}/progress`` answer."""

    posted: bool
    milestone: str


class LockRefresh(CamelStruct):
    """``POST /api/sessions/{id}/lock-refresh``."""

    worker_id: NonEmptyStr
    issue_id: NonEmptyStr


class LockRefreshed(CamelStruct):
    """``POST /api/sessions/{id}/lock-refresh`` answer; false means the worker lost the lock."""

    refreshed: bool


def _text(value: str) -> str | None:
    return value or None


def session_state(session: workers_pb2.Session) -> SessionState:
    """Map a ``workers.v1.Session``."""
    return SessionState(
        linear_session_id=session.id,
        tracker_session_id=session.id,
        issue_id=session.issue_id,
        issue_identifier=session.issue_identifier,
        provider_session_id=_text(session.provider_session_id),
        worktree_path=_text(session.worktree_path),
        status=session.status,
        created_at=epoch_ms_or_none(session, "created_at"),
        updated_at=epoch_ms_or_none(session, "updated_at"),
        worker_id=_text(session.worker_id),
        queued_at=epoch_ms_or_none(session, "queued_at"),
        claimed_at=epoch_ms_or_none(session, "claimed_at"),
        priority=session.priority,
        prompt_context=_text(session.prompt_context),
        organization_id=session.organization_id,
        work_type=_text(session.work_type),
        agent_id=_text(session.agent_id),
        project_name=_text(session.project_name),
        provider=_text(session.provider),
        total_cost_usd=session.total_cost_usd,
        input_tokens=session.input_tokens,
        output_tokens=session.output_tokens,
        last_tool_name=_text(session.last_tool_name),
        last_tool_called_at=epoch_ms_or_none(session, "last_tool_called_at"),
        tool_call_count=session.tool_call_count,
        repository=_text(session.repository),
        project_id=_text(session.project_id),
        error_message=_text(session.error_message),
        finished_at=epoch_ms_or_none(session, "finished_at"),
    )


def create_request(body: SessionCreate) -> pb.CreateSessionRequest:
    """Map a ``POST /api/sessions`` body (priority 0 lets the service pick its default)."""
    return pb.CreateSessionRequest(
        issue_id=body.issue_id,
        issue_identifier=body.issue_identifier,
        priority=body.priority or 0,
        prompt=body.prompt,
        work_type=body.work_type,
        project_name=body.project_name,
        repository=body.repository,
        extras=json_to_struct(body.extras),
        session_id=body.session_id,
        project_id=body.project_id,
    )


def status_request(session_id: str, body: StatusUpdate) -> pb.UpdateSessionStatusRequest:
    """Map a ``POST /api/sessions/{id}/status`` body; omitted numbers keep their stored values."""
    request = pb.UpdateSessionStatusRequest(
        session_id=session_id,
        worker_id=body.worker_id,
        status=body.status,
        provider_session_id=body.provider_session_id,
        worktree_path=body.worktree_path,
        error_message=body.error.message if body.error else "",
        reason=body.reason,
    )
    if body.total_cost_usd is not None:
        request.total_cost_usd = body.total_cost_usd
    if body.input_tokens is not None:
        request.input_tokens = body.input_tokens
    if body.output_tokens is not None:
        request.output_tokens = body.output_tokens
    return request


def _timestamp(value: int | float | str) -> Timestamp:
    stamp = Timestamp()
    if isinstance(value, str):
        try:
            stamp.FromDatetime(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError as exc:
            raise GatewayError(400, "activity.timestamp must be epoch ms or an RFC 3339 time") from exc
    else:
        stamp.FromMilliseconds(int(value))
    return stamp


def activity_request(session_id: str, worker_id: str, body: ActivityPost) -> pb.PostActivityRequest:
    """Map a ``POST /api/sessions/{id}/activity`` body; a non-object toolInput is wrapped as ``{value}``."""
    activity = body.activity
    message = workers_pb2.Activity(type=activity.type, content=activity.content, tool_name=activity.tool_name)
    if activity.tool_input is not None:
        tool_input = (
            activity.tool_input if isinstance(activity.tool_input, dict) else {"value": activity.tool_input}
        )
        message.tool_input.CopyFrom(json_to_struct(tool_input))
    if activity.timestamp is not None:
        message.timestamp.CopyFrom(_timestamp(activity.timestamp))
    return pb.PostActivityRequest(session_id=session_id, worker_id=worker_id, activity=message)


def completion_request(session_id: str, worker_id: str, body: CompletionPost) -> pb.PostCompletionRequest:
    """Map a ``POST /api/sessions/{id}/completion`` body."""
    return pb.PostCompletionRequest(
        session_id=session_id,
        worker_id=worker_id,
        summary=body.summary,
        plan_items=[workers_pb2.PlanItem(title=i.title, state=i.state) for i in body.plan_items],
    )


def queued_detail(response: pb.GetQueuedSessionResponse, platform_url: str) -> dict[str, Any]:
    """``GET /api/daemon/sessions/{id}``: the queued work plus what a cloud runner needs around it."""
    detail = queued_work(response.work)
    detail.update(
        organizationId=response.organization_id,
        linearSessionId=response.work.session_id,
        platformUrl=platform_url,
    )
    return detail
