"""Inputs and views of the routing aggregate."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from switchyard.grpckit.errors import InvalidArgument
from switchyard.workers.domain.common import optional, required

MAX_CANDIDATES = 20
SOURCE_DISABLED = "disabled"
SOURCE_EXPLICIT = "explicit"
SOURCE_THOMPSON = "thompson"
_NAME_CHARS = 200


def candidates(values: list[str]) -> list[str]:
    """1..20 non-empty provider names, trimmed and de-duplicated in order; else InvalidArgument."""
    if not values:
        raise InvalidArgument("candidates must list 1 to 20 providers")
    if len(values) > MAX_CANDIDATES:
        raise InvalidArgument(f"candidates must have at most {MAX_CANDIDATES} entries")
    names: list[str] = []
    for value in values:
        name = optional(value, field="candidates", max_len=_NAME_CHARS)
        if not name:
            raise InvalidArgument("candidates must not contain empty names")
        if name not in names:
            names.append(name)
    return names


def work_type(value: str) -> str:
    """The required work type."""
    return required(value, field="workType", max_len=100)


def _finite(value: float | None, *, field: str, low: float, high: float = math.inf) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or not low <= value <= high:
        bound = f"between {low:g} and {high:g}" if math.isfinite(high) else f"at least {low:g}"
        raise InvalidArgument(f"{field} must be {bound}")
    return value


@dataclass(frozen=True, slots=True)
class Feedback:
    """One observed outcome of a provider on a session."""

    provider: str
    work_type: str
    reward: float | None
    task_completed: bool | None = None
    pr_created: bool | None = None
    qa_result: str | None = None
    total_cost_usd: float | None = None
    wall_clock_ms: int | None = None

    def validated(self) -> Feedback:
        """A trimmed copy, or InvalidArgument naming the bad field."""
        if self.reward is None:
            raise InvalidArgument("reward is required")
        if self.wall_clock_ms is not None and self.wall_clock_ms < 0:
            raise InvalidArgument("wallClockMs must be at least 0")
        qa = self.qa_result
        return Feedback(
            provider=required(self.provider, field="provider", max_len=_NAME_CHARS),
            work_type=work_type(self.work_type),
            reward=_finite(self.reward, field="reward", low=0.0, high=1.0),
            task_completed=self.task_completed,
            pr_created=self.pr_created,
            qa_result=None if qa is None else optional(qa, field="qaResult", max_len=200),
            # A billion dollars per task is beyond any real run; the cap keeps the cost sum finite.
            total_cost_usd=_finite(self.total_cost_usd, field="totalCostUsd", low=0.0, high=1e9),
            wall_clock_ms=self.wall_clock_ms,
        )


@dataclass(frozen=True, slots=True)
class Selection:
    """A routing decision as the caller receives it."""

    selected_provider: str | None
    source: str
    expected_reward: float
    confidence: float


@dataclass(frozen=True, slots=True)
class PosteriorView:
    """One provider's posterior for a work type."""

    provider: str
    work_type: str
    alpha: float
    beta: float
    expected_reward: float
    confidence: float
    total_observations: int
    avg_cost_usd: float


@dataclass(frozen=True, slots=True)
class DecisionView:
    """One recorded decision."""

    id: str
    session_id: str
    work_type: str
    candidates: list[str]
    selected_provider: str | None
    source: str
    expected_reward: float
    confidence: float
    exploited: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Metrics:
    """The org's routing state: posteriors, a page of decisions and the summary."""

    posteriors: list[PosteriorView]
    decisions: list[DecisionView]
    next_cursor: str
    routing_enabled: bool
    exploration_rate: float
    total_decisions: int
    total_observations: int
    timestamp: datetime
