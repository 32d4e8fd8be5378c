"""SelectRoutingProvider, RecordRoutingFeedback and GetRoutingMetrics."""

from __future__ import annotations

import random

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.grpckit.errors import InvalidArgument
from switchyard.grpckit.principal import Principal
from switchyard.obs import get_logger
from switchyard.workers.db.models import RoutingDecision
from switchyard.workers.domain.context import Deps
from switchyard.workers.domain.routing import models as m
from switchyard.workers.domain.routing import repository as repo
from switchyard.workers.domain.routing.sampler import Arm, arms, thompson
from switchyard.workers.domain.sessions.access import require_member, router_session

log = get_logger(__name__)

DEFAULT_PAGE = 20
MAX_PAGE = 100
_DISABLED = m.Selection(selected_provider=None, source=m.SOURCE_DISABLED, expected_reward=0.0, confidence=0.0)


def _cursor(value: str) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) <= 0:
        raise InvalidArgument("cursor is invalid")
    return int(text)


def _page_size(limit: int) -> int:
    size = limit or DEFAULT_PAGE
    if not 1 <= size <= MAX_PAGE:
        raise InvalidArgument(f"limit must be between 1 and {MAX_PAGE}")
    return size


def _selection(arm: Arm, source: str) -> m.Selection:
    return m.Selection(
        selected_provider=arm.provider, source=source, expected_reward=arm.mean, confidence=arm.confidence
    )


class RoutingService:
    """Thompson-sampling provider choice per (org, provider, work type), learning from feedback.

    Args:
        deps: The shared collaborators (``deps.policy.routing_enabled`` is the kill switch).
        rng: The random source of the draws; tests inject a seeded one.
    """

    def __init__(self, deps: Deps, *, rng: random.Random | None = None) -> None:
        self._d = deps
        self._rng = rng or random.Random()  # noqa: S311 - bandit draws, not secrets

    async def select(
        self, *, principal: Principal, session_id: str, work_type: str, candidates: list[str]
    ) -> m.Selection:
        """Pick a provider for the session's work and record the decision."""
        kind = m.work_type(work_type)
        names = m.candidates(candidates)
        now = self._d.clock()
        async with self._d.sessions() as s, s.begin():
            row = await router_session(s, principal=principal, session_id=session_id)
            chosen, exploited = await self._choose(s, org_id=row.org_id, work_type=kind, names=names)
            repo.add_decision(
                s,
                RoutingDecision(
                    org_id=row.org_id,
                    session_id=row.id,
                    work_type=kind,
                    candidates=names,
                    selected_provider=chosen.selected_provider,
                    source=chosen.source,
                    expected_reward=chosen.expected_reward,
                    confidence=chosen.confidence,
                    exploited=exploited,
                    created_at=now,
                ),
            )
        return chosen

    async def _choose(
        self, s: AsyncSession, *, org_id: str, work_type: str, names: list[str]
    ) -> tuple[m.Selection, bool]:
        # The selection and whether it took the best-mean arm (always, unless thompson explored).
        if not self._d.policy.routing_enabled:
            return _DISABLED, True
        known = await repo.posteriors(s, org_id=org_id, work_type=work_type, providers=names)
        options = arms(names, known)
        if len(options) == 1:
            return _selection(options[0], m.SOURCE_EXPLICIT), True
        pick = thompson(options, self._rng)
        return _selection(pick.arm, m.SOURCE_THOMPSON), pick.exploited

    async def feedback(self, *, principal: Principal, session_id: str, feedback: m.Feedback) -> bool:
        """Add a reward to the provider's posterior; False (logged) when the store fails."""
        fb = feedback.validated()
        async with self._d.reads() as s:
            row = await router_session(s, principal=principal, session_id=session_id)
        now = self._d.clock()
        try:
            async with self._d.sessions() as s, s.begin():
                await repo.observe(s, org_id=row.org_id, session_id=row.id, fb=fb, now=now)
        except (SQLAlchemyError, OSError) as exc:
            # Feedback is fire-and-forget for the worker: a lost observation must not fail its run.
            log.warning(
                "routing feedback not recorded",
                session_id=row.id,
                provider=fb.provider,
                work_type=fb.work_type,
                error=type(exc).__name__,
            )
            return False
        return True

    async def metrics(self, *, principal: Principal, limit: int, cursor: str) -> m.Metrics:
        """The org's posteriors, a page of its decisions (newest first) and the summary."""
        org = require_member(principal)
        size, before = _page_size(limit), _cursor(cursor)
        async with self._d.reads() as s:
            posteriors = await repo.list_posteriors(s, org_id=org)
            decisions, next_cursor = await repo.page_decisions(s, org_id=org, limit=size, before_id=before)
            rate = await repo.exploration_rate(s, org_id=org)
            total_decisions, total_observations = await repo.totals(s, org_id=org)
        return m.Metrics(
            posteriors=posteriors,
            decisions=decisions,
            next_cursor=next_cursor,
            routing_enabled=self._d.policy.routing_enabled,
            exploration_rate=rate,
            total_decisions=total_decisions,
            total_observations=total_observations,
            timestamp=self._d.clock(),
        )
