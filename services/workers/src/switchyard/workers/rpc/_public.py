"""Public sessions API RPCs: pb <-> domain only."""

from __future__ import annotations

from switchyard.grpckit.principal import get_principal
from switchyard.workers.domain.public.models import ActivityView, PhaseMetric, PublicSessionView
from switchyard.workers.rpc._base import Context, ServicerBase, from_ts, ts
from switchyard.workers.v1 import workers_pb2 as pb
from switchyard.workers.v1 import workers_service_pb2 as svc


def public_session(v: PublicSessionView) -> pb.PublicSession:
    """A session as the public API shows it."""
    return pb.PublicSession(
        id=v.id,
        hash=v.hash,
        identifier=v.identifier,
        issue_id=v.issue_id,
        status=v.status,
        work_type=v.work_type,
        project_id=v.project_id,
        project_name=v.project_name,
        provider=v.provider,
        cost_usd=v.cost_usd,
        input_tokens=v.input_tokens,
        output_tokens=v.output_tokens,
        branch=v.branch,
        issue_title=v.issue_title,
        worker_id=v.worker_id,
        created_at=ts(v.created_at),
        queued_at=ts(v.queued_at),
        started_at=ts(v.started_at),
        finished_at=ts(v.finished_at),
        duration_ms=v.duration_ms,
    )


def public_activity(a: ActivityView) -> pb.PublicActivity:
    """One entry of the activity feed."""
    return pb.PublicActivity(id=str(a.id), type=a.type, content=a.content, created_at=ts(a.created_at))


def phase_metric(m: PhaseMetric) -> pb.PhaseMetric:
    """One phase's aggregates."""
    return pb.PhaseMetric(
        work_type=m.work_type,
        sessions=m.sessions,
        completed=m.completed,
        failed=m.failed,
        stopped=m.stopped,
        cycle_time_avg_ms=m.cycle_time_avg_ms,
        cycle_time_p50_ms=m.cycle_time_p50_ms,
        cycle_time_p90_ms=m.cycle_time_p90_ms,
        cost_total_usd=m.cost_total_usd,
        cost_avg_usd=m.cost_avg_usd,
        rework_count=m.rework_count,
        rework_rate=m.rework_rate,
    )


class PublicRpc(ServicerBase):
    """The public sessions API of an org."""

    async def GetPublicStats(
        self, request: svc.GetPublicStatsRequest, context: Context
    ) -> svc.GetPublicStatsResponse:
        """The org's fleet and session figures."""
        st = await self._s.public.stats(principal=get_principal())
        return svc.GetPublicStatsResponse(
            workers_online=st.workers_online,
            agents_working=st.agents_working,
            queue_depth=st.queue_depth,
            completed_today=st.completed_today,
            available_capacity=st.available_capacity,
            total_cost_today=st.total_cost_today,
            total_cost_all_time=st.total_cost_all_time,
            session_count_today=st.session_count_today,
            server_time=ts(st.server_time),
        )

    async def ListPublicSessions(
        self, request: svc.ListPublicSessionsRequest, context: Context
    ) -> svc.ListPublicSessionsResponse:
        """One page of the org's sessions."""
        page = await self._s.public.list_sessions(
            principal=get_principal(),
            project_id=request.project_id,
            project_name=request.project_name,
            status=request.status,
            limit=request.limit if request.HasField("limit") else None,
            cursor=request.cursor,
        )
        return svc.ListPublicSessionsResponse(
            sessions=[public_session(v) for v in page.sessions],
            next_cursor=page.next_cursor,
            server_time=ts(self._s.public.now()),
        )

    async def GetPublicSession(
        self, request: svc.GetPublicSessionRequest, context: Context
    ) -> svc.GetPublicSessionResponse:
        """One session by raw id or either hash."""
        view = await self._s.public.get(principal=get_principal(), ref=request.session_ref)
        return svc.GetPublicSessionResponse(
            session=public_session(view), server_time=ts(self._s.public.now())
        )

    async def SendSessionPrompt(
        self, request: svc.SendSessionPromptRequest, context: Context
    ) -> svc.SendSessionPromptResponse:
        """Give a session a new prompt."""
        result = await self._s.public_control.prompt(
            principal=get_principal(), ref=request.session_ref, prompt=request.prompt
        )
        return svc.SendSessionPromptResponse(
            delivered=True,
            prompt_id=result.prompt_id,
            session_id=result.session_id,
            session_status=result.session_status,
        )

    async def StopPublicSession(
        self, request: svc.StopPublicSessionRequest, context: Context
    ) -> svc.StopPublicSessionResponse:
        """Stop a session."""
        result = await self._s.public_control.stop(principal=get_principal(), ref=request.session_ref)
        return svc.StopPublicSessionResponse(
            stopped=result.stopped,
            session_id=result.session_id,
            previous_status=result.previous_status,
            new_status=result.new_status,
        )

    async def ListSessionActivities(
        self, request: svc.ListSessionActivitiesRequest, context: Context
    ) -> svc.ListSessionActivitiesResponse:
        """A session's activities after a cursor."""
        page = await self._s.public.activities(
            principal=get_principal(),
            ref=request.session_ref,
            cursor=request.cursor,
            limit=request.limit if request.HasField("limit") else None,
            session_hash=request.session_hash,
        )
        return svc.ListSessionActivitiesResponse(
            activities=[public_activity(a) for a in page.activities],
            cursor=page.cursor,
            session_status=page.session_status,
        )

    async def GetPhaseMetrics(
        self, request: svc.GetPhaseMetricsRequest, context: Context
    ) -> svc.GetPhaseMetricsResponse:
        """Per-phase aggregates of the org's sessions."""
        phases = await self._s.public.phase_metrics(
            principal=get_principal(),
            since=from_ts(request, "from"),
            until=from_ts(request, "to"),
            project_id=request.project_id,
        )
        return svc.GetPhaseMetricsResponse(
            phases=[phase_metric(m) for m in phases], server_time=ts(self._s.public.now())
        )
