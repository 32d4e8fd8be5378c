"""Pure rules: the session FSM, project narrowing, queue scores and summary chunking."""

from __future__ import annotations

import pytest
from switchyard.grpckit.errors import Conflict, InvalidArgument
from switchyard.workers.domain.common import narrow_projects, queue_score
from switchyard.workers.domain.sessions import fsm
from switchyard.workers.domain.sessions.models import chunk

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("claimed", "running"),
        ("running", "finalizing"),
        ("finalizing", "completed"),
        ("running", "completed"),
        ("running", "failed"),
        ("running", "stopped"),
        ("finalizing", "failed"),
        ("claimed", "failed"),
    ],
)
def test_allowed_transitions_change_state(current: str, target: str) -> None:
    assert fsm.transition(current, target) is True


@pytest.mark.parametrize("state", ["running", "completed", "failed", "stopped"])
def test_repeats_are_idempotent(state: str) -> None:
    assert fsm.transition(state, state) is False


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("pending", "running"),
        ("claimed", "finalizing"),
        ("completed", "running"),
        ("finalizing", "stopped"),
        ("failed", "completed"),
    ],
)
def test_impossible_jumps_conflict(current: str, target: str) -> None:
    with pytest.raises(Conflict, match=f"from {current} to {target}"):
        fsm.transition(current, target)


def test_workers_cannot_post_queue_states() -> None:
    with pytest.raises(InvalidArgument, match="status"):
        fsm.worker_target("claimed")
    assert fsm.public_status("pending") == "queued"
    assert fsm.public_status("finalizing") == "working"


def test_project_narrowing() -> None:
    assert narrow_projects([], ("*",)) == (True, ())
    assert narrow_projects(["a", "a", " "], ("*",)) == (False, ("a",))
    assert narrow_projects([], ("p1", "p2")) == (False, ("p1", "p2"))
    assert narrow_projects(["p2", "x"], ("p1", "p2")) == (False, ("p2",))
    assert narrow_projects(["x"], ("p1",)) == (False, ("p1",))


def test_queue_score_orders_priority_before_age() -> None:
    assert queue_score(1, 2_000_000_000_000) < queue_score(2, 1_000_000_000_000)
    assert queue_score(3, 1) < queue_score(3, 2)
    assert queue_score(0, 5) == queue_score(1, 5)
    assert queue_score(42, 5) == queue_score(9, 5)


def test_chunk_keeps_every_character_in_bounded_parts() -> None:
    text = ("line of text\n" * 2000) + "tail"
    parts = chunk(text, size=10_000)
    assert "".join(parts) == text
    assert all(len(p) <= 10_000 for p in parts)
    assert len(parts) == 3
    assert chunk("short") == ["short"]
    assert chunk("y" * 25_000) == ["y" * 10_000, "y" * 10_000, "y" * 5_000]
