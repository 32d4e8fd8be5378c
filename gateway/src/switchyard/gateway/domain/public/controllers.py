"""``/api/public/*``: stats, sessions, prompt/stop, activity feeds and phase metrics of the caller's org.

"Public" is not anonymous: an org key (``rsk_live_``) of the org, or a member with ``X-Tenant-ID`` (any role
reads; prompt and stop need admin or owner). Another org's sessions are 404.
"""

from __future__ import annotations

from typing import Annotated

import grpc
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from switchyard.gateway.auth.workers import DAEMON, FEED
from switchyard.gateway.domain.public import schemas as s
from switchyard.gateway.errors import GatewayError, from_rpc_error
from switchyard.gateway.schema import rfc3339
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal
from switchyard.workers.v1 import workers_service_pb2 as pb

TAGS = ["Sessions (Public)"]
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
# Query names that are Python keywords or differ from the handler's argument name.
FromTime = Annotated[str | None, QueryParameter(name="from", required=False)]
ToTime = Annotated[str | None, QueryParameter(name="to", required=False)]
ProjectName = Annotated[str, QueryParameter(name="project", required=False)]
HASH_FORMS = "{hash} is the raw session id, the 16-hex spec hash sha256(id)[:16] or the 32-hex guide hash sha256('session:'+id)[:32]."  # noqa: E501


async def _activities(
    gateway: Gateway,
    principal: Principal,
    *,
    ref: str,
    cursor: str,
    limit: str | None,
    cursor_field: str,
    session_hash: str,
) -> s.ActivityList:
    request = pb.ListSessionActivitiesRequest(session_ref=ref, cursor=cursor, session_hash=session_hash)
    size = s.parse_limit(limit)
    if size is not None:
        request.limit = size
    try:
        response = await gateway.workers.list_session_activities(principal, request)
    except grpc.aio.AioRpcError as exc:
        error = from_rpc_error(exc)
        # The service names the position "cursor"; the path form of the feed calls it "after".
        if error.status == 400 and error.message.startswith("cursor"):
            error.message = cursor_field + error.message.removeprefix("cursor")
        raise error from exc
    return s.activities(response)


class PublicController(Controller):
    """The caller's org through the public sessions API."""

    path = "/api/public"
    tags = TAGS
    security = SECURITY
    dependencies = DAEMON

    @get(
        "/stats",
        operation_id="getPublicStats",
        description="Aggregate figures of the caller's org: workersOnline (live presence), agentsWorking, queueDepth, completedToday, availableCapacity (free slots of live workers), totalCostToday (sessions created today), totalCostAllTime, sessionCountToday; today = since 00:00 UTC. Any org member (X-Tenant-ID) or an org key.",  # noqa: E501
    )
    async def stats(
        self, principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.PublicStats:
        """The org's stats."""
        return s.stats(await gateway.workers.get_public_stats(principal))

    @get(
        "/sessions",
        operation_id="listPublicSessions",
        description="List the org's sessions newest first. Filters: projectId, project (name), status (queued, working, completed, failed, stopped). limit 1..100 (default 50); pass nextCursor as cursor for the next page. Rows: {id (public hash), identifier, status, workType, startedAt, duration (s), costUsd, provider}.",  # noqa: E501
    )
    async def list_sessions(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        project: ProjectName = "",
        projectId: FromQuery[str] = "",
        status: FromQuery[str] = "",
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str] = "",
    ) -> s.PublicSessionList:
        """One page of sessions."""
        request = pb.ListPublicSessionsRequest(
            project_id=projectId, project_name=project, status=status, cursor=cursor
        )
        size = s.parse_limit(limit)
        if size is not None:
            request.limit = size
        response = await gateway.workers.list_public_sessions(principal, request)
        rows = [s.session_row(row) for row in response.sessions]
        return s.PublicSessionList(
            sessions=rows,
            count=len(rows),
            next_cursor=response.next_cursor or None,
            timestamp=rfc3339(response.server_time),
        )

    @get(
        "/sessions/{hash:str}",
        operation_id="getPublicSession",
        description=f"Get one session with its timeline (epoch ms), tokens, cost, branch and issue title. {HASH_FORMS} Another org's session is 404.",  # noqa: E501
    )
    async def get_session(
        self, hash: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.PublicSessionEnvelope:
        """One session."""
        response = await gateway.workers.get_public_session(principal, session_ref=hash)
        return s.PublicSessionEnvelope(
            session=s.session_detail(response.session), timestamp=rfc3339(response.server_time)
        )

    @post(
        "/sessions/{hash:str}/prompt",
        status_code=200,
        operation_id="sendPrompt",
        description=f"Send a session a new prompt (org admin/owner or an org key). A completed, failed or stopped session is reset to queued with the prompt and re-queued at priority 2 (behind its issue's lock); a queued one gets the prompt and priority 2; a working one receives it as an inbox directive. Empty prompt is 400. {HASH_FORMS}",  # noqa: E501
    )
    async def prompt(
        self,
        hash: FromPath[str],
        data: JSONBody[s.PromptIn],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.PromptDelivered:
        """Prompt the session."""
        r = await gateway.workers.send_session_prompt(principal, session_ref=hash, prompt=data.prompt)
        return s.PromptDelivered(
            delivered=r.delivered,
            prompt_id=r.prompt_id,
            session_id=r.session_id,
            session_status=r.session_status,
        )

    @post(
        "/sessions/{hash:str}/stop",
        status_code=200,
        operation_id="stopSession",
        description=f'Stop a session (org admin/owner or an org key): sets stopped, releases its queue entry, claim, issue lock and file reservations, promotes the issue\'s next work, records "Stop signal received" and sends the holding worker an urgent stop message. An already finished session answers stopped:false without change. {HASH_FORMS}',  # noqa: E501
    )
    async def stop(
        self, hash: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.StopOutcome:
        """Stop the session."""
        r = await gateway.workers.stop_public_session(principal, session_ref=hash)
        return s.StopOutcome(
            stopped=r.stopped,
            session_id=r.session_id,
            previous_status=r.previous_status,
            new_status=r.new_status,
        )

    @get(
        "/sessions/{hash:str}/activities",
        dependencies=FEED,
        operation_id="listPublicSessionActivitiesAfter",
        description=f"A session's activities oldest first after the `after` cursor (limit 1..200, default 100). An empty page returns the same cursor, so clients keep polling with it. Callers: an org member or org key; a worker runtime JWT of the org (raw id); or no Authorization at all with the raw id in the path and sessionHash (either public hash; a wrong pair is 401). {HASH_FORMS}",  # noqa: E501
    )
    async def activities_after(
        self,
        hash: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        after: FromQuery[str] = "",
        limit: FromQuery[str | None] = None,
        sessionHash: FromQuery[str] = "",
    ) -> s.ActivityList:
        """The activity feed (path form)."""
        return await _activities(
            gateway,
            principal,
            ref=hash,
            cursor=after,
            limit=limit,
            cursor_field="after",
            session_hash=sessionHash,
        )

    @get(
        "/session-activities",
        dependencies=FEED,
        operation_id="listPublicSessionActivities",
        description="A session's activities oldest first after `cursor` (limit 1..200, default 100); sessionId is the raw id or either public hash. Callers: an org member or org key; a worker runtime JWT of the org (raw id); or no Authorization at all with the raw sessionId and its sessionHash (either public hash; a wrong pair is 401). Answers {activities[{id, type, content, body, createdAt (epoch ms)}], cursor, sessionStatus}; an empty page returns the same cursor.",  # noqa: E501
    )
    async def activities(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        sessionId: FromQuery[str] = "",
        cursor: FromQuery[str] = "",
        limit: FromQuery[str | None] = None,
        sessionHash: FromQuery[str] = "",
    ) -> s.ActivityList:
        """The activity feed (query form)."""
        if not sessionId.strip():
            raise GatewayError(400, "sessionId is required")
        return await _activities(
            gateway,
            principal,
            ref=sessionId,
            cursor=cursor,
            limit=limit,
            cursor_field="cursor",
            session_hash=sessionHash,
        )

    @get(
        "/phase-metrics",
        operation_id="getPublicPhaseMetrics",
        description="Per work type (phase) aggregates of the org's sessions created between from and to (epoch ms or RFC 3339; default the last 30 days), optionally of one projectId: counts by outcome, cycle time (finished - queued) avg/p50/p90 in ms, cost total/avg, reworkCount (repeat sessions of a phase for an issue plus prompts that reset a finished session) and reworkRate.",  # noqa: E501
    )
    async def phase_metrics(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        since: FromTime = None,
        until: ToTime = None,
        projectId: FromQuery[str] = "",
    ) -> s.PhaseMetrics:
        """Per-phase aggregates."""
        request = pb.GetPhaseMetricsRequest(project_id=projectId)
        start = s.parse_time(since, field="from")
        end = s.parse_time(until, field="to")
        if start is not None:
            getattr(request, "from").CopyFrom(start)
        if end is not None:
            request.to.CopyFrom(end)
        response = await gateway.workers.get_phase_metrics(principal, request)
        return s.PhaseMetrics(
            phases=[s.phase(m) for m in response.phases], timestamp=rfc3339(response.server_time)
        )


ROUTES = [PublicController]
