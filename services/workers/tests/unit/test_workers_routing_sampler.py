"""Pure routing rules: Thompson sampling with a seeded RNG, the confidence formula, input validation."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest
from switchyard.grpckit.errors import InvalidArgument
from switchyard.workers.domain.recovery.models import MAX_BODY_BYTES, parse
from switchyard.workers.domain.routing.models import Feedback, candidates
from switchyard.workers.domain.routing.sampler import Arm, arms, confidence, thompson, updated

pytestmark = pytest.mark.unit


def _picks(options: list[Arm], *, draws: int, seed: int) -> Counter[str]:
    rng = random.Random(seed)  # noqa: S311 - seeded on purpose
    return Counter(thompson(options, rng).arm.provider for _ in range(draws))


def test_a_strongly_better_arm_wins_the_vast_majority_of_draws() -> None:
    # 40 observations each: "good" succeeded 36 times, "bad" 8 times.
    options = [Arm("bad", alpha=9, beta=33), Arm("good", alpha=37, beta=5)]
    picks = _picks(options, draws=2000, seed=7)
    assert picks["good"] / 2000 > 0.97


def test_with_no_data_every_arm_is_chosen_sometimes() -> None:
    options = arms(["a", "b", "c", "d"], {})
    picks = _picks(options, draws=2000, seed=11)
    assert set(picks) == {"a", "b", "c", "d"}
    # Uniform priors: each arm near a quarter of the draws.
    assert all(350 < count < 650 for count in picks.values())


def test_the_same_seed_gives_the_same_draws() -> None:
    options = arms(["x", "y", "z"], {"x": (3, 2), "y": (2, 3)})
    assert _picks(options, draws=200, seed=5) == _picks(options, draws=200, seed=5)


def test_exploited_marks_picks_of_the_best_mean_arm() -> None:
    options = [Arm("weak", alpha=2, beta=3), Arm("strong", alpha=3, beta=2)]
    rng = random.Random(3)  # noqa: S311 - seeded on purpose
    choices = [thompson(options, rng) for _ in range(500)]
    assert all(c.exploited == (c.arm.provider == "strong") for c in choices)
    # With so little data the weak arm still gets explored now and then.
    assert any(not c.exploited for c in choices)


def test_confidence_is_zero_without_data_and_grows_with_observations() -> None:
    assert confidence(1, 1) == pytest.approx(0.0)
    ten = confidence(6, 6)
    hundred = confidence(51, 51)
    assert 0 < ten < hundred < 1
    # 1 - std / sqrt(1/12) with std of Beta(6, 6) = sqrt(36 / (144 * 13)).
    assert ten == pytest.approx(1 - math.sqrt(36 / (144 * 13)) / math.sqrt(1 / 12))
    assert Arm("p", 51, 51).confidence == pytest.approx(hundred)


def test_rewards_update_alpha_and_beta() -> None:
    arm = updated(updated(Arm("p"), 1.0), 0.25)
    assert (arm.alpha, arm.beta) == (pytest.approx(2.25), pytest.approx(1.75))
    assert arm.mean == pytest.approx(2.25 / 4)


def test_candidates_are_trimmed_deduplicated_and_bounded() -> None:
    assert candidates([" a ", "b", "a"]) == ["a", "b"]
    for bad, message in (
        ([], "candidates"),
        (["a", " "], "candidates"),
        ([f"p{i}" for i in range(21)], "candidates"),
    ):
        with pytest.raises(InvalidArgument, match=message):
            candidates(bad)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"reward": None}, "reward"),
        ({"reward": 1.5}, "reward"),
        ({"reward": -0.1}, "reward"),
        ({"reward": math.nan}, "reward"),
        ({"provider": ""}, "provider"),
        ({"work_type": " "}, "workType"),
        ({"total_cost_usd": -1.0}, "totalCostUsd"),
        ({"wall_clock_ms": -5}, "wallClockMs"),
    ],
)
def test_feedback_names_the_bad_field(fields: dict[str, object], named: str) -> None:
    values: dict[str, object] = {"provider": "claude", "work_type": "development", "reward": 0.5, **fields}
    with pytest.raises(InvalidArgument, match=named):
        Feedback(**values).validated()  # type: ignore[arg-type]


def test_a_packet_keeps_the_rest_of_the_body_and_estimates_tokens() -> None:
    new = parse({"agentId": "a-1", "recoveryChainId": "c-1", "step": 3.0, "notes": "x" * 30})
    assert (new.agent_id, new.tier, new.recovery_chain_id) == ("a-1", "full", "c-1")
    assert new.packet_data == {"step": 3, "notes": "x" * 30}
    # Canonical JSON {"notes":"xxx...","step":3} is 50 characters: ceil(50 / 4).
    assert new.token_estimate == 13


def test_a_packet_needs_an_agent_and_a_bounded_body() -> None:
    with pytest.raises(InvalidArgument, match="agentId is required"):
        parse({"tier": "compact"})
    with pytest.raises(InvalidArgument, match="tier must be a string"):
        parse({"agentId": "a", "tier": 3})
    with pytest.raises(InvalidArgument, match=str(MAX_BODY_BYTES)):
        parse({"agentId": "a", "blob": "x" * MAX_BODY_BYTES})
