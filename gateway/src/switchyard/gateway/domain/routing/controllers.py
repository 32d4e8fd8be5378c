"""Routing routes: the worker (or an org key/admin) asks which provider to run and reports how it went;
members read the org's posteriors and decisions.

Select and feedback always answer 200 for valid input: a disabled selector says so in ``source`` and a
store failure in ``recorded``. Bad input is 400 naming the field; another org's session is 404.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from switchyard.gateway.auth.workers import DAEMON, FLEET
from switchyard.gateway.domain.routing import schemas as s
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal
from switchyard.workers.v1 import workers_service_pb2 as pb

TAGS = ["Routing"]
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class RoutingController(Controller):
    """``/api/sessions/{id}/routing-select`` and ``/routing-feedback``."""

    path = "/api/sessions"
    tags = TAGS
    security = SECURITY
    dependencies = FLEET

    @post(
        "/{id:str}/routing-select",
        status_code=200,
        operation_id="routingSelect",
        description="Choose a provider for the session's work type by Thompson sampling over each candidate's Beta(successes + 1, failures + 1) posterior; one candidate is source explicit. Always 200 for valid input: with the kill switch WORKERS_ROUTING_SELECTOR_ENABLED not exactly true the answer is {selectedProvider: null, source: disabled}. The worker holding the session (runtime JWT), or an org key or org admin/owner of its org. candidates: 1..20 non-empty provider names.",  # noqa: E501
    )
    async def select(
        self,
        id: FromPath[str],
        data: JSONBody[s.RoutingSelect],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.RoutingSelection:
        """Pick a provider."""
        request = pb.SelectRoutingProviderRequest(
            session_id=id, work_type=data.work_type, candidates=data.candidates
        )
        response = await gateway.workers.select_routing_provider(principal, request)
        return s.RoutingSelection(
            selected_provider=response.selected_provider or None,
            source=response.source,
            expected_reward=response.expected_reward,
            confidence=response.confidence,
        )

    @post(
        "/{id:str}/routing-feedback",
        status_code=200,
        operation_id="postRoutingFeedback",
        description="Report how a provider did on the session: reward 0..1 adds reward to its successes and 1 - reward to its failures for that work type (atomically). Optional taskCompleted, prCreated, qaResult, totalCostUsd, wallClockMs are kept with the observation. A store error still answers 200 {recorded: false}.",  # noqa: E501
    )
    async def feedback(
        self,
        id: FromPath[str],
        data: JSONBody[s.RoutingFeedback],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.FeedbackRecorded:
        """Record an observation."""
        response = await gateway.workers.record_routing_feedback(principal, s.feedback_request(id, data))
        return s.FeedbackRecorded(recorded=response.recorded)


class RoutingMetricsController(Controller):
    """``/api/public/routing-metrics``."""

    path = "/api/public/routing-metrics"
    tags = TAGS
    security = SECURITY
    dependencies = DAEMON

    @get(
        "/",
        operation_id="getRoutingMetrics",
        description="The org's routing state: every posterior (alpha, beta, expectedReward, confidence, totalObservations, avgCostUsd), a page of recent decisions newest first (limit 1..100, default 20; pass nextCursor as cursor for the next page), and a summary whose explorationRate is the share of the last 100 thompson decisions that did not pick the arm with the highest posterior mean. An org key, or an org member with X-Tenant-ID.",  # noqa: E501
    )
    async def metrics(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: FromQuery[str] = "",
    ) -> s.RoutingMetrics:
        """Posteriors and decisions."""
        if not 1 <= limit <= MAX_LIMIT:
            raise GatewayError(400, f"limit must be between 1 and {MAX_LIMIT}")
        response = await gateway.workers.get_routing_metrics(principal, limit=limit, cursor=cursor)
        return s.metrics(response)


ROUTES = [RoutingController, RoutingMetricsController]
