"""Persistence of posteriors, decisions and observations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.workers.db.models import RoutingDecision, RoutingObservation, RoutingPosterior
from switchyard.workers.domain.routing.models import SOURCE_THOMPSON, DecisionView, Feedback, PosteriorView
from switchyard.workers.domain.routing.sampler import confidence

# The metrics view lists at most this many posteriors (providers x work types of one org).
MAX_POSTERIORS = 500
# explorationRate looks at this many of the org's latest thompson decisions.
EXPLORATION_WINDOW = 100


async def posteriors(
    s: AsyncSession, *, org_id: str, work_type: str, providers: Sequence[str]
) -> dict[str, tuple[float, float]]:
    """(alpha, beta) of each provider that has observations for the work type."""
    rows = await s.execute(
        select(RoutingPosterior.provider, RoutingPosterior.alpha, RoutingPosterior.beta).where(
            RoutingPosterior.org_id == org_id,
            RoutingPosterior.work_type == work_type,
            RoutingPosterior.provider.in_(list(providers)),
        )
    )
    return {provider: (alpha, beta) for provider, alpha, beta in rows}


def add_decision(s: AsyncSession, decision: RoutingDecision) -> None:
    """Record a decision in the caller's transaction."""
    s.add(decision)


async def observe(s: AsyncSession, *, org_id: str, session_id: str, fb: Feedback, now: datetime) -> None:
    """Add one reward to the posterior in a single statement (atomic under concurrency) and log it."""
    reward = fb.reward or 0.0
    cost = fb.total_cost_usd
    table = RoutingPosterior.__table__
    stmt = insert(RoutingPosterior).values(
        org_id=org_id,
        work_type=fb.work_type,
        provider=fb.provider,
        alpha=1.0 + reward,
        beta=2.0 - reward,
        observations=1,
        cost_total_usd=cost or 0.0,
        cost_observations=0 if cost is None else 1,
        updated_at=now,
    )
    # Increments relative to the stored row: concurrent feedbacks serialise on the row lock, none is lost.
    stmt = stmt.on_conflict_do_update(
        index_elements=["org_id", "work_type", "provider"],
        set_={
            "alpha": table.c.alpha + reward,
            "beta": table.c.beta + (1.0 - reward),
            "observations": table.c.observations + 1,
            "cost_total_usd": table.c.cost_total_usd + (cost or 0.0),
            "cost_observations": table.c.cost_observations + (0 if cost is None else 1),
            "updated_at": now,
        },
    )
    await s.execute(stmt)
    s.add(_observation(org_id=org_id, session_id=session_id, fb=fb, now=now))


def _observation(*, org_id: str, session_id: str, fb: Feedback, now: datetime) -> RoutingObservation:
    return RoutingObservation(
        org_id=org_id,
        session_id=session_id,
        provider=fb.provider,
        work_type=fb.work_type,
        reward=fb.reward or 0.0,
        task_completed=fb.task_completed,
        pr_created=fb.pr_created,
        qa_result=fb.qa_result,
        total_cost_usd=fb.total_cost_usd,
        wall_clock_ms=fb.wall_clock_ms,
        created_at=now,
    )


def _posterior_view(row: RoutingPosterior) -> PosteriorView:
    return PosteriorView(
        provider=row.provider,
        work_type=row.work_type,
        alpha=row.alpha,
        beta=row.beta,
        expected_reward=row.alpha / (row.alpha + row.beta),
        confidence=confidence(row.alpha, row.beta),
        total_observations=row.observations,
        avg_cost_usd=row.cost_total_usd / row.cost_observations if row.cost_observations else 0.0,
    )


async def list_posteriors(s: AsyncSession, *, org_id: str) -> list[PosteriorView]:
    """The org's posteriors by work type and provider."""
    rows = await s.scalars(
        select(RoutingPosterior)
        .where(RoutingPosterior.org_id == org_id)
        .order_by(RoutingPosterior.work_type, RoutingPosterior.provider)
        .limit(MAX_POSTERIORS)
    )
    return [_posterior_view(row) for row in rows]


def _decision_view(row: RoutingDecision) -> DecisionView:
    return DecisionView(
        id=str(row.id),
        session_id=row.session_id,
        work_type=row.work_type,
        candidates=list(row.candidates),
        selected_provider=row.selected_provider,
        source=row.source,
        expected_reward=row.expected_reward,
        confidence=row.confidence,
        exploited=row.exploited,
        created_at=row.created_at,
    )


async def page_decisions(
    s: AsyncSession, *, org_id: str, limit: int, before_id: int | None
) -> tuple[list[DecisionView], str]:
    """Up to ``limit`` decisions older than ``before_id``, newest first, and the next cursor ("" at the end).

    The cursor is the id of the page's last decision: the next page starts below it.
    """
    query = select(RoutingDecision).where(RoutingDecision.org_id == org_id)
    if before_id is not None:
        query = query.where(RoutingDecision.id < before_id)
    rows = list(await s.scalars(query.order_by(RoutingDecision.id.desc()).limit(limit + 1)))
    cursor = str(rows[limit - 1].id) if len(rows) > limit else ""
    return [_decision_view(row) for row in rows[:limit]], cursor


async def exploration_rate(s: AsyncSession, *, org_id: str) -> float:
    """Share of the latest thompson decisions that did not pick the best-mean arm (0 with none)."""
    latest = (
        select(RoutingDecision.exploited)
        .where(RoutingDecision.org_id == org_id, RoutingDecision.source == SOURCE_THOMPSON)
        .order_by(RoutingDecision.id.desc())
        .limit(EXPLORATION_WINDOW)
        .subquery()
    )
    total, explored = (
        await s.execute(
            select(func.count(), func.count().filter(latest.c.exploited.is_(False))).select_from(latest)
        )
    ).one()
    return explored / total if total else 0.0


async def totals(s: AsyncSession, *, org_id: str) -> tuple[int, int]:
    """(decisions, observations) of the org."""
    decisions = await s.scalar(
        select(func.count()).select_from(RoutingDecision).where(RoutingDecision.org_id == org_id)
    )
    observations = await s.scalar(
        select(func.coalesce(func.sum(RoutingPosterior.observations), 0)).where(
            RoutingPosterior.org_id == org_id
        )
    )
    return int(decisions or 0), int(observations or 0)
