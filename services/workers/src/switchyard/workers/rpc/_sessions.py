"""Queue and session RPCs: pb <-> domain only."""

from __future__ import annotations

from switchyard.grpckit.principal import get_principal
from switchyard.workers.domain.sessions.models import ActivityInput, NewSession, StatusUpdate
from switchyard.workers.rpc import _mapping as m
from switchyard.workers.rpc._base import Context, ServicerBase, from_struct, from_ts
from switchyard.workers.rpc._inbox import inbox_message
from switchyard.workers.v1 import workers_service_pb2 as svc


class SessionRpc(ServicerBase):
    """CreateSession, PollWork, NackSession, session status, reports, lock refresh, queued detail."""

    async def CreateSession(
        self, request: svc.CreateSessionRequest, context: Context
    ) -> svc.CreateSessionResponse:
        """Queue work for an issue."""
        new = NewSession(
            issue_id=request.issue_id,
            issue_identifier=request.issue_identifier,
            priority=request.priority,
            prompt=request.prompt,
            work_type=request.work_type,
            project_name=request.project_name,
            repository=request.repository,
            extras=from_struct(request.extras),
            session_id=request.session_id,
            project_id=request.project_id,
        )
        view = await self._s.sessions.create(principal=get_principal(), new=new)
        return svc.CreateSessionResponse(session=m.session(view))

    async def PollWork(self, request: svc.PollWorkRequest, context: Context) -> svc.PollWorkResponse:
        """Pre-claim work for the calling worker."""
        principal = get_principal()
        views = await self._s.sessions.poll(principal=principal, worker_id=request.worker_id)
        messages = await self._s.inbox.unacked(principal=principal, worker_id=request.worker_id)
        return svc.PollWorkResponse(
            work=[m.queued_work(v) for v in views],
            pre_claimed=True,
            claimed_session_ids=[v.id for v in views],
            inbox_messages=[inbox_message(msg) for msg in messages],
        )

    async def NackSession(self, request: svc.NackSessionRequest, context: Context) -> svc.NackSessionResponse:
        """Give a claimed session back."""
        done = await self._s.sessions.nack(
            principal=get_principal(), session_id=request.session_id, worker_id=request.worker_id
        )
        return svc.NackSessionResponse(nacked=done, requeued=done, session_id=request.session_id)

    async def GetSessionStatus(
        self, request: svc.GetSessionStatusRequest, context: Context
    ) -> svc.GetSessionStatusResponse:
        """A session's state."""
        view = await self._s.sessions.get(principal=get_principal(), session_id=request.session_id)
        return svc.GetSessionStatusResponse(session=m.session(view))

    async def UpdateSessionStatus(
        self, request: svc.UpdateSessionStatusRequest, context: Context
    ) -> svc.UpdateSessionStatusResponse:
        """Move a session through the FSM."""
        update = StatusUpdate(
            session_id=request.session_id,
            worker_id=request.worker_id,
            status=request.status,
            provider_session_id=request.provider_session_id,
            worktree_path=request.worktree_path,
            error_message=request.error_message,
            total_cost_usd=request.total_cost_usd if request.HasField("total_cost_usd") else None,
            input_tokens=request.input_tokens if request.HasField("input_tokens") else None,
            output_tokens=request.output_tokens if request.HasField("output_tokens") else None,
        )
        view = await self._s.lifecycle.update_status(principal=get_principal(), update=update)
        return svc.UpdateSessionStatusResponse(updated=True, session=m.session(view))

    async def PostActivity(
        self, request: svc.PostActivityRequest, context: Context
    ) -> svc.PostActivityResponse:
        """Record one activity."""
        a = request.activity
        activity = ActivityInput(
            type=a.type,
            content=a.content,
            tool_name=a.tool_name,
            tool_input=from_struct(a.tool_input),
            timestamp=from_ts(a, "timestamp"),
        )
        forwarded = await self._s.reports.activity(
            principal=get_principal(),
            session_id=request.session_id,
            worker_id=request.worker_id,
            activity=activity,
        )
        return svc.PostActivityResponse(forwarded=forwarded)

    async def PostCompletion(
        self, request: svc.PostCompletionRequest, context: Context
    ) -> svc.PostCompletionResponse:
        """Record the completion summary."""
        parts = await self._s.reports.completion(
            principal=get_principal(),
            session_id=request.session_id,
            worker_id=request.worker_id,
            summary=request.summary,
            plan=[(item.title, item.state) for item in request.plan_items],
        )
        return svc.PostCompletionResponse(posted=parts, total_parts=parts)

    async def PostProgress(
        self, request: svc.PostProgressRequest, context: Context
    ) -> svc.PostProgressResponse:
        """Record a progress milestone."""
        milestone = await self._s.reports.progress(
            principal=get_principal(),
            session_id=request.session_id,
            worker_id=request.worker_id,
            milestone=request.milestone,
            message=request.message,
        )
        return svc.PostProgressResponse(posted=True, milestone=milestone)

    async def RefreshLock(self, request: svc.RefreshLockRequest, context: Context) -> svc.RefreshLockResponse:
        """Extend the issue lock."""
        refreshed = await self._s.lifecycle.refresh_lock(
            principal=get_principal(),
            session_id=request.session_id,
            worker_id=request.worker_id,
            issue_id=request.issue_id,
        )
        return svc.RefreshLockResponse(refreshed=refreshed)

    async def GetQueuedSession(
        self, request: svc.GetQueuedSessionRequest, context: Context
    ) -> svc.GetQueuedSessionResponse:
        """Queued work for cloud runners."""
        view = await self._s.sessions.get_queued(principal=get_principal(), session_id=request.session_id)
        return svc.GetQueuedSessionResponse(work=m.queued_work(view), organization_id=view.org_id)
