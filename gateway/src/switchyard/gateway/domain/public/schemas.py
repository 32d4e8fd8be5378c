"""Bodies of ``/api/public/*`` (Rensei §3) and their mapping from ``workers.v1``.

``timestamp`` and list rows' ``startedAt`` are RFC 3339 strings (what the public client declares); the
detail's ``timeline`` and activities' ``createdAt`` are epoch ms; ``duration`` is whole seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.schema import CamelStruct, epoch_ms, epoch_ms_or_none, rfc3339
from switchyard.workers.v1 import workers_pb2
from switchyard.workers.v1 import workers_service_pb2 as pb


class PublicStats(CamelStruct):
    """``GET /api/public/stats``."""

    workers_online: int
    agents_working: int
    queue_depth: int
    completed_today: int
    available_capacity: int
    total_cost_today: float
    total_cost_all_time: float
    session_count_today: int
    timestamp: str


class PublicSessionRow(CamelStruct):
    """One row of ``GET /api/public/sessions``; ``id`` is the 16-hex public hash."""

    id: str
    identifier: str
    status: str
    work_type: str
    started_at: str
    duration: int
    cost_usd: float
    provider: str | None


class PublicSessionList(CamelStruct):
    """``GET /api/public/sessions``: newest first; ``nextCursor`` is null on the last page."""

    sessions: list[PublicSessionRow]
    count: int
    next_cursor: str | None
    timestamp: str


class Timeline(CamelStruct):
    """A session's milestones in epoch ms (null until reached)."""

    created: int | None
    queued: int | None
    started: int | None
    completed: int | None


class PublicSessionDetail(CamelStruct):
    """A session as ``GET /api/public/sessions/{hash}`` shows it."""

    id: str
    identifier: str
    issue_id: str
    status: str
    work_type: str
    project_name: str | None
    provider: str | None
    cost_usd: float
    input_tokens: int
    output_tokens: int
    branch: str | None
    issue_title: str | None
    worker_id: str | None
    timeline: Timeline
    duration: int


class PublicSessionEnvelope(CamelStruct):
    """``GET /api/public/sessions/{hash}``."""

    session: PublicSessionDetail
    timestamp: str


class PromptIn(CamelStruct):
    """``POST /api/public/sessions/{hash}/prompt``."""

    prompt: str = ""


class PromptDelivered(CamelStruct):
    """``POST /api/public/sessions/{hash}/prompt`` answer; ``sessionId`` is the raw id."""

    delivered: bool
    prompt_id: str
    session_id: str
    session_status: str


class StopOutcome(CamelStruct):
    """``POST /api/public/sessions/{hash}/stop`` answer (public status words)."""

    stopped: bool
    session_id: str
    previous_status: str
    new_status: str


class PublicActivity(CamelStruct):
    """One activity; ``body`` repeats ``content`` for clients that read either."""

    id: str
    type: str
    content: str
    body: str
    created_at: int


class ActivityList(CamelStruct):
    """Activities oldest first; poll again with ``cursor`` (unchanged when nothing new arrived)."""

    activities: list[PublicActivity]
    cursor: str | None
    session_status: str


class CycleTime(CamelStruct):
    """Cycle time of terminal sessions, in ms."""

    avg: float
    p50: float
    p90: float


class CostSummary(CamelStruct):
    """Cost in USD."""

    total: float
    avg: float


class Phase(CamelStruct):
    """One work type's aggregates."""

    work_type: str
    sessions: int
    completed: int
    failed: int
    stopped: int
    cycle_time_ms: CycleTime
    cost_usd: CostSummary
    rework_count: int
    rework_rate: float


class PhaseMetrics(CamelStruct):
    """``GET /api/public/phase-metrics``."""

    phases: list[Phase]
    timestamp: str


def _none_if_empty(value: str) -> str | None:
    return value or None


def _seconds(duration_ms: int) -> int:
    return duration_ms // 1000


def stats(r: pb.GetPublicStatsResponse) -> PublicStats:
    """The stats body."""
    return PublicStats(
        workers_online=r.workers_online,
        agents_working=r.agents_working,
        queue_depth=r.queue_depth,
        completed_today=r.completed_today,
        available_capacity=r.available_capacity,
        total_cost_today=r.total_cost_today,
        total_cost_all_time=r.total_cost_all_time,
        session_count_today=r.session_count_today,
        timestamp=rfc3339(r.server_time),
    )


def session_row(s: workers_pb2.PublicSession) -> PublicSessionRow:
    """A list row; ``startedAt`` falls back to the creation time while queued."""
    started = s.started_at if s.HasField("started_at") else s.created_at
    return PublicSessionRow(
        id=s.hash,
        identifier=s.identifier,
        status=s.status,
        work_type=s.work_type,
        started_at=rfc3339(started),
        duration=_seconds(s.duration_ms),
        cost_usd=s.cost_usd,
        provider=_none_if_empty(s.provider),
    )


def session_detail(s: workers_pb2.PublicSession) -> PublicSessionDetail:
    """The detail body."""
    return PublicSessionDetail(
        id=s.hash,
        identifier=s.identifier,
        issue_id=s.issue_id,
        status=s.status,
        work_type=s.work_type,
        project_name=_none_if_empty(s.project_name),
        provider=_none_if_empty(s.provider),
        cost_usd=s.cost_usd,
        input_tokens=s.input_tokens,
        output_tokens=s.output_tokens,
        branch=_none_if_empty(s.branch),
        issue_title=_none_if_empty(s.issue_title),
        worker_id=_none_if_empty(s.worker_id),
        timeline=Timeline(
            created=epoch_ms_or_none(s, "created_at"),
            queued=epoch_ms_or_none(s, "queued_at"),
            started=epoch_ms_or_none(s, "started_at"),
            completed=epoch_ms_or_none(s, "finished_at"),
        ),
        duration=_seconds(s.duration_ms),
    )


def activities(r: pb.ListSessionActivitiesResponse) -> ActivityList:
    """The activity feed body."""
    return ActivityList(
        activities=[
            PublicActivity(
                id=a.id, type=a.type, content=a.content, body=a.content, created_at=epoch_ms(a.created_at)
            )
            for a in r.activities
        ],
        cursor=_none_if_empty(r.cursor),
        session_status=r.session_status,
    )


def phase(m: workers_pb2.PhaseMetric) -> Phase:
    """One phase's body."""
    return Phase(
        work_type=m.work_type,
        sessions=m.sessions,
        completed=m.completed,
        failed=m.failed,
        stopped=m.stopped,
        cycle_time_ms=CycleTime(avg=m.cycle_time_avg_ms, p50=m.cycle_time_p50_ms, p90=m.cycle_time_p90_ms),
        cost_usd=CostSummary(total=m.cost_total_usd, avg=m.cost_avg_usd),
        rework_count=m.rework_count,
        rework_rate=m.rework_rate,
    )


def parse_limit(value: str | None) -> int | None:
    """A ``limit`` query value as an int (the service checks its range), None when absent."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise GatewayError(400, "limit must be an integer") from exc


def parse_time(value: str | None, *, field: str) -> Timestamp | None:
    """``from``/``to``: epoch milliseconds or an RFC 3339 time; None when absent."""
    if value is None or value == "":
        return None
    text = value.strip()
    try:
        if text.lstrip("-").isdigit():
            moment = datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError(text)
    except (ValueError, OverflowError, OSError) as exc:
        raise GatewayError(400, f"{field} must be epoch milliseconds or an RFC 3339 time") from exc
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp
