"""Routing and recovery-packet RPCs: pb <-> domain only."""

from __future__ import annotations

from switchyard.grpckit.principal import get_principal
from switchyard.workers.domain.recovery.models import PacketView
from switchyard.workers.domain.routing.models import DecisionView, Feedback, PosteriorView
from switchyard.workers.rpc._base import Context, ServicerBase, from_struct, struct, ts
from switchyard.workers.v1 import workers_pb2 as pb
from switchyard.workers.v1 import workers_service_pb2 as svc


def feedback(request: svc.RecordRoutingFeedbackRequest) -> Feedback:
    """The domain input of a feedback request (unset optionals stay None)."""
    return Feedback(
        provider=request.provider,
        work_type=request.work_type,
        reward=request.reward if request.HasField("reward") else None,
        task_completed=request.task_completed if request.HasField("task_completed") else None,
        pr_created=request.pr_created if request.HasField("pr_created") else None,
        qa_result=request.qa_result if request.HasField("qa_result") else None,
        total_cost_usd=request.total_cost_usd if request.HasField("total_cost_usd") else None,
        wall_clock_ms=request.wall_clock_ms if request.HasField("wall_clock_ms") else None,
    )


def posterior(view: PosteriorView) -> pb.RoutingPosterior:
    """A posterior on the wire."""
    return pb.RoutingPosterior(
        provider=view.provider,
        work_type=view.work_type,
        alpha=view.alpha,
        beta=view.beta,
        expected_reward=view.expected_reward,
        confidence=view.confidence,
        total_observations=view.total_observations,
        avg_cost_usd=view.avg_cost_usd,
    )


def decision(view: DecisionView) -> pb.RoutingDecision:
    """A decision on the wire."""
    return pb.RoutingDecision(
        id=view.id,
        session_id=view.session_id,
        work_type=view.work_type,
        candidates=view.candidates,
        selected_provider=view.selected_provider or "",
        source=view.source,
        expected_reward=view.expected_reward,
        confidence=view.confidence,
        exploited=view.exploited,
        created_at=ts(view.created_at),
    )


def packet(view: PacketView) -> pb.RecoveryPacket:
    """A recovery packet on the wire."""
    return pb.RecoveryPacket(
        id=view.id,
        session_id=view.session_id,
        agent_id=view.agent_id,
        tier=view.tier,
        recovery_chain_id=view.recovery_chain_id,
        token_estimate=view.token_estimate,
        created_at=ts(view.created_at),
        consumed_at=ts(view.consumed_at),
        packet_data=struct(view.packet_data),
    )


class RoutingRpc(ServicerBase):
    """SelectRoutingProvider, RecordRoutingFeedback, GetRoutingMetrics and the recovery packets."""

    async def SelectRoutingProvider(
        self, request: svc.SelectRoutingProviderRequest, context: Context
    ) -> svc.SelectRoutingProviderResponse:
        """Pick a provider for the session's work."""
        chosen = await self._s.routing.select(
            principal=get_principal(),
            session_id=request.session_id,
            work_type=request.work_type,
            candidates=list(request.candidates),
        )
        return svc.SelectRoutingProviderResponse(
            selected_provider=chosen.selected_provider or "",
            source=chosen.source,
            expected_reward=chosen.expected_reward,
            confidence=chosen.confidence,
        )

    async def RecordRoutingFeedback(
        self, request: svc.RecordRoutingFeedbackRequest, context: Context
    ) -> svc.RecordRoutingFeedbackResponse:
        """Add an observation to a posterior."""
        recorded = await self._s.routing.feedback(
            principal=get_principal(), session_id=request.session_id, feedback=feedback(request)
        )
        return svc.RecordRoutingFeedbackResponse(recorded=recorded)

    async def GetRoutingMetrics(
        self, request: svc.GetRoutingMetricsRequest, context: Context
    ) -> svc.GetRoutingMetricsResponse:
        """The org's posteriors and a page of decisions."""
        found = await self._s.routing.metrics(
            principal=get_principal(), limit=request.limit, cursor=request.cursor
        )
        return svc.GetRoutingMetricsResponse(
            posteriors=[posterior(p) for p in found.posteriors],
            recent_decisions=[decision(d) for d in found.decisions],
            next_cursor=found.next_cursor,
            routing_enabled=found.routing_enabled,
            exploration_rate=found.exploration_rate,
            total_decisions=found.total_decisions,
            total_observations=found.total_observations,
            timestamp=ts(found.timestamp),
        )

    async def CreateRecoveryPacket(
        self, request: svc.CreateRecoveryPacketRequest, context: Context
    ) -> svc.CreateRecoveryPacketResponse:
        """Save crash context."""
        view = await self._s.recovery.create(
            principal=get_principal(), session_id=request.session_id, body=from_struct(request.body)
        )
        return svc.CreateRecoveryPacketResponse(packet=packet(view))

    async def GetRecoveryPacket(
        self, request: svc.GetRecoveryPacketRequest, context: Context
    ) -> svc.GetRecoveryPacketResponse:
        """The newest unconsumed packet, consumed when resuming."""
        view = await self._s.recovery.get(
            principal=get_principal(), session_id=request.session_id, resume=request.resume
        )
        return svc.GetRecoveryPacketResponse(packet=packet(view))

    async def GetRecoveryChain(
        self, request: svc.GetRecoveryChainRequest, context: Context
    ) -> svc.GetRecoveryChainResponse:
        """The session's packets, newest first."""
        total, views = await self._s.recovery.chain(principal=get_principal(), session_id=request.session_id)
        return svc.GetRecoveryChainResponse(
            session_id=request.session_id, total_packets=total, packets=[packet(v) for v in views]
        )
