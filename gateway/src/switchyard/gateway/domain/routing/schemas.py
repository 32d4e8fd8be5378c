"""Bodies of the routing routes (Rensei §2.5)."""

from __future__ import annotations

from switchyard.gateway.schema import CamelStruct, rfc3339
from switchyard.workers.v1 import workers_pb2 as wpb
from switchyard.workers.v1 import workers_service_pb2 as pb


class RoutingSelect(CamelStruct):
    """``POST /api/sessions/{id}/routing-select``; the workers service checks 1..20 non-empty candidates."""

    work_type: str
    candidates: list[str]


class RoutingSelection(CamelStruct):
    """The decision; ``selectedProvider`` is null when the selector is disabled."""

    selected_provider: str | None
    source: str
    expected_reward: float
    confidence: float


class RoutingFeedback(CamelStruct):
    """``POST /api/sessions/{id}/routing-feedback``: one observed outcome (reward 0..1)."""

    provider: str
    work_type: str
    reward: float
    task_completed: bool | None = None
    pr_created: bool | None = None
    qa_result: str | None = None
    total_cost_usd: float | None = None
    wall_clock_ms: int | None = None


class FeedbackRecorded(CamelStruct):
    """``{recorded}``: false when the store failed (the worker carries on)."""

    recorded: bool


class Posterior(CamelStruct):
    """One provider's Beta posterior for a work type."""

    provider: str
    work_type: str
    alpha: float
    beta: float
    expected_reward: float
    confidence: float
    total_observations: int
    avg_cost_usd: float


class Decision(CamelStruct):
    """One recorded decision."""

    id: str
    session_id: str
    work_type: str
    candidates: list[str]
    selected_provider: str | None
    source: str
    expected_reward: float
    created_at: str


class Summary(CamelStruct):
    """The org's routing at a glance."""

    routing_enabled: bool
    exploration_rate: float
    total_decisions: int
    total_observations: int


class RoutingMetrics(CamelStruct):
    """``GET /api/public/routing-metrics``."""

    posteriors: list[Posterior]
    recent_decisions: list[Decision]
    next_cursor: str | None
    summary: Summary
    timestamp: str


def feedback_request(session_id: str, data: RoutingFeedback) -> pb.RecordRoutingFeedbackRequest:
    """The RPC request of a feedback body (unset optionals stay unset)."""
    optional = {
        "task_completed": data.task_completed,
        "pr_created": data.pr_created,
        "qa_result": data.qa_result,
        "total_cost_usd": data.total_cost_usd,
        "wall_clock_ms": data.wall_clock_ms,
    }
    return pb.RecordRoutingFeedbackRequest(
        session_id=session_id,
        provider=data.provider,
        work_type=data.work_type,
        reward=data.reward,
        **{k: v for k, v in optional.items() if v is not None},  # type: ignore[arg-type]
    )


def _posterior(p: wpb.RoutingPosterior) -> Posterior:
    return Posterior(
        provider=p.provider,
        work_type=p.work_type,
        alpha=p.alpha,
        beta=p.beta,
        expected_reward=p.expected_reward,
        confidence=p.confidence,
        total_observations=p.total_observations,
        avg_cost_usd=p.avg_cost_usd,
    )


def _decision(d: wpb.RoutingDecision) -> Decision:
    return Decision(
        id=d.id,
        session_id=d.session_id,
        work_type=d.work_type,
        candidates=list(d.candidates),
        selected_provider=d.selected_provider or None,
        source=d.source,
        expected_reward=d.expected_reward,
        created_at=rfc3339(d.created_at),
    )


def metrics(response: pb.GetRoutingMetricsResponse) -> RoutingMetrics:
    """The metrics view of the RPC answer."""
    return RoutingMetrics(
        posteriors=[_posterior(p) for p in response.posteriors],
        recent_decisions=[_decision(d) for d in response.recent_decisions],
        next_cursor=response.next_cursor or None,
        summary=Summary(
            routing_enabled=response.routing_enabled,
            exploration_rate=response.exploration_rate,
            total_decisions=response.total_decisions,
            total_observations=response.total_observations,
        ),
        timestamp=rfc3339(response.timestamp),
    )
