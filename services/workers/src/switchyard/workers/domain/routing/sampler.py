"""Thompson sampling over Beta posteriors: pure functions, the random source injected.

Each arm (provider) has Beta(alpha, beta) with alpha = successes + 1 and beta = failures + 1, where a
reward r in 0..1 adds r to the successes and 1 - r to the failures. Choosing draws one sample from every
candidate's posterior and takes the largest, so an arm is picked with the probability that it is the best.

Confidence is how far the posterior has narrowed from the uniform prior:

    confidence = 1 - std(Beta(alpha, beta)) / std(Beta(1, 1))
    std(Beta(a, b)) = sqrt(a * b / ((a + b)**2 * (a + b + 1))),   std(Beta(1, 1)) = sqrt(1 / 12)

With alpha, beta >= 1 the standard deviation is largest at Beta(1, 1), so confidence is 0 with no data and
grows towards 1 as observations accumulate: after n evenly mixed rewards it is 1 - sqrt(3 / (n + 3)),
about 0.52 after 10 and 0.83 after 100 (one-sided rewards narrow faster: 0.73 after 10 successes).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PRIOR = 1.0
_UNIFORM_STD = math.sqrt(1 / 12)


@dataclass(frozen=True, slots=True)
class Arm:
    """One candidate's posterior; a provider never observed is the uniform prior."""

    provider: str
    alpha: float = PRIOR
    beta: float = PRIOR

    @property
    def mean(self) -> float:
        """The posterior mean, alpha / (alpha + beta)."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def confidence(self) -> float:
        """1 - normalised posterior standard deviation (see the module docstring)."""
        return confidence(self.alpha, self.beta)


@dataclass(frozen=True, slots=True)
class Choice:
    """The arm a draw picked and whether it was also the arm with the highest mean (exploitation)."""

    arm: Arm
    exploited: bool


def confidence(alpha: float, beta: float) -> float:
    """1 - std(Beta(alpha, beta)) / std(Beta(1, 1)), clamped to 0..1."""
    total = alpha + beta
    std = math.sqrt(alpha * beta / (total * total * (total + 1)))
    return min(max(1.0 - std / _UNIFORM_STD, 0.0), 1.0)


def updated(arm: Arm, reward: float) -> Arm:
    """The arm after observing ``reward`` (0..1)."""
    return Arm(arm.provider, arm.alpha + reward, arm.beta + (1.0 - reward))


def arms(candidates: Sequence[str], posteriors: Mapping[str, tuple[float, float]]) -> list[Arm]:
    """One arm per candidate, in order; candidates without a posterior get the prior."""
    return [Arm(name, *posteriors.get(name, (PRIOR, PRIOR))) for name in candidates]


def thompson(candidates: Sequence[Arm], rng: random.Random) -> Choice:
    """Sample every candidate's posterior once and pick the largest draw.

    Args:
        candidates: At least one arm.
        rng: The random source (seed it for reproducible draws).

    Returns:
        The picked arm; ``exploited`` when no other candidate has a strictly higher mean.
    """
    if not candidates:
        raise ValueError("thompson needs at least one candidate")
    draws = [(rng.betavariate(arm.alpha, arm.beta), index) for index, arm in enumerate(candidates)]
    _, best = max(draws)
    pick = candidates[best]
    top_mean = max(arm.mean for arm in candidates)
    return Choice(arm=pick, exploited=pick.mean >= top_mean)
