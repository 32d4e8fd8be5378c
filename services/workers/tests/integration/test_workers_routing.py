"""Provider routing over real gRPC and PostgreSQL: the kill switch, explicit and Thompson selections,
atomic feedback, the metrics view and who may call what."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from sqlalchemy import text
from switchyard.grpckit.principal import Principal
from switchyard.workers.config import Settings
from switchyard.workers.server import start
from switchyard.workers.v1 import workers_service_pb2 as svc

pytestmark = pytest.mark.integration

CODE = grpc.StatusCode


@pytest.fixture(scope="module")
async def routed(workers, workers_settings, clock) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
    """A second workers server (same stores) with the routing kill switch on, and a client of it."""
    server = await start(
        workers_settings.model_copy(update={"routing_selector_enabled": True}), port=0, clock=clock
    )
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            yield type(workers)(channel, workers.signer, server)
    finally:
        await server.stop(grace=1)


def _select(
    session_id: str, *candidates: str, work_type: str = "development"
) -> svc.SelectRoutingProviderRequest:
    return svc.SelectRoutingProviderRequest(session_id=session_id, work_type=work_type, candidates=candidates)


def _feedback(
    session_id: str, provider: str, reward: float | None, **extra: Any
) -> svc.RecordRoutingFeedbackRequest:
    values: dict[str, Any] = {
        "session_id": session_id,
        "provider": provider,
        "work_type": "development",
        **extra,
    }
    if reward is not None:
        values["reward"] = reward
    return svc.RecordRoutingFeedbackRequest(**values)


async def _claimed(client: Any, org: str | None = None) -> tuple[Any, Any]:
    reg = await client.register(org)
    session = await client.queue(reg.org)
    assert [w.session_id for w in (await client.poll(reg)).work] == [session.id]
    return reg, session


def _member(org: str) -> Principal:
    return Principal(kind="user", user_id=str(uuid.uuid4()), tenant_id=org, role="user", token_id="t")


async def _decisions(client: Any, session_id: str) -> list[Any]:
    async with client.server.deps.reads() as s:
        rows = await s.execute(
            text(
                "SELECT work_type, candidates, selected_provider, source, expected_reward, exploited"
                " FROM workers.routing_decisions WHERE session_id = :s ORDER BY id"
            ),
            {"s": session_id},
        )
        return list(rows)


def test_the_kill_switch_is_on_only_for_exactly_true(monkeypatch, workers_settings) -> None:  # type: ignore[no-untyped-def]
    base = workers_settings.model_dump(exclude={"routing_selector_enabled"})
    for value, enabled in (("true", True), ("True", False), ("1", False), ("yes", False), ("", False)):
        monkeypatch.setenv("WORKERS_ROUTING_SELECTOR_ENABLED", value)
        assert Settings(**base).routing_selector_enabled is enabled
    monkeypatch.delenv("WORKERS_ROUTING_SELECTOR_ENABLED")
    assert Settings(**base).routing_selector_enabled is False


async def test_disabled_selector_answers_no_provider_and_records_the_decision(workers) -> None:
    reg, session = await _claimed(workers)
    answer = await workers.call("SelectRoutingProvider", _select(session.id, "claude", "codex"), reg.worker)
    assert (answer.selected_provider, answer.source) == ("", "disabled")
    assert (answer.expected_reward, answer.confidence) == (0.0, 0.0)
    rows = await _decisions(workers, session.id)
    assert [(r.work_type, r.candidates, r.selected_provider, r.source) for r in rows] == [
        ("development", ["claude", "codex"], None, "disabled")
    ]


async def test_one_candidate_is_explicit(routed) -> None:
    reg, session = await _claimed(routed)
    answer = await routed.call("SelectRoutingProvider", _select(session.id, "claude", " claude "), reg.worker)
    assert (answer.selected_provider, answer.source) == ("claude", "explicit")
    # No observations yet: the uniform prior.
    assert (answer.expected_reward, answer.confidence) == (pytest.approx(0.5), pytest.approx(0.0))


async def test_thompson_learns_from_feedback(routed) -> None:
    reg, session = await _claimed(routed)
    cold = await routed.call("SelectRoutingProvider", _select(session.id, "claude", "codex"), reg.worker)
    assert cold.source == "thompson"
    assert cold.selected_provider in ("claude", "codex")
    for _ in range(15):
        for provider, reward in (("claude", 1.0), ("codex", 0.0)):
            done = await routed.call(
                "RecordRoutingFeedback", _feedback(session.id, provider, reward), reg.worker
            )
            assert done.recorded is True
    picks = Counter()
    for _ in range(30):
        answer = await routed.call(
            "SelectRoutingProvider", _select(session.id, "claude", "codex"), reg.worker
        )
        picks[answer.selected_provider] += 1
    assert picks["claude"] >= 28
    # 15 successes: Beta(16, 1), mean 16/17; the explicit answer reports the same posterior.
    warm = await routed.call("SelectRoutingProvider", _select(session.id, "claude"), reg.worker)
    assert warm.expected_reward == pytest.approx(16 / 17)
    assert 0.8 < warm.confidence < 1
    # Another work type has its own posteriors.
    other = await routed.call(
        "SelectRoutingProvider", _select(session.id, "codex", work_type="qa"), reg.worker
    )
    assert other.expected_reward == pytest.approx(0.5)


async def test_concurrent_feedback_lands_exactly(workers) -> None:
    reg, session = await _claimed(workers)
    rewards = [(0.25, 0.5, 0.75, 1.0, 0.0)[i % 5] for i in range(50)]
    answers = await asyncio.gather(
        *(
            workers.call(
                "RecordRoutingFeedback", _feedback(session.id, "claude", r, total_cost_usd=0.5), reg.worker
            )
            for r in rewards
        )
    )
    assert all(a.recorded for a in answers)
    async with workers.server.deps.reads() as s:
        row = (
            await s.execute(
                text(
                    "SELECT alpha, beta, observations, cost_total_usd, cost_observations"
                    " FROM workers.routing_posteriors WHERE org_id = :o"
                ),
                {"o": reg.org},
            )
        ).one()
        logged = await s.scalar(
            text("SELECT count(*) FROM workers.routing_observations WHERE session_id = :s"), {"s": session.id}
        )
    assert tuple(row) == (1 + sum(rewards), 1 + sum(1 - r for r in rewards), 50, 25.0, 50)
    assert logged == 50


async def test_feedback_names_bad_fields_and_keeps_the_optional_facts(workers) -> None:
    reg, session = await _claimed(workers)
    for request, named in (
        (_feedback(session.id, "claude", None), "reward is required"),
        (_feedback(session.id, "claude", 1.01), "reward must be between 0 and 1"),
        (_feedback(session.id, "", 0.5), "provider is required"),
        (_feedback(session.id, "claude", 0.5, work_type=""), "workType is required"),
        (_feedback(session.id, "claude", 0.5, total_cost_usd=-1), "totalCostUsd"),
    ):
        error = await workers.fails("RecordRoutingFeedback", request, reg.worker)
        assert error.code() == CODE.INVALID_ARGUMENT
        assert named in error.details()
    full = _feedback(
        session.id,
        "claude",
        0.8,
        task_completed=True,
        pr_created=False,
        qa_result="passed",
        wall_clock_ms=9000,
    )
    assert (await workers.call("RecordRoutingFeedback", full, reg.worker)).recorded is True
    async with workers.server.deps.reads() as s:
        row = (
            await s.execute(
                text(
                    "SELECT reward, task_completed, pr_created, qa_result, total_cost_usd, wall_clock_ms"
                    " FROM workers.routing_observations WHERE session_id = :s"
                ),
                {"s": session.id},
            )
        ).one()
    assert tuple(row) == (0.8, True, False, "passed", None, 9000)


async def test_a_store_error_answers_recorded_false(workers) -> None:
    reg, session = await _claimed(workers)
    probe = f"probe-{uuid.uuid4().hex[:8]}"
    # A real PostgreSQL failure for this one provider only: a trigger that raises on its upsert.
    ddl = [
        "CREATE OR REPLACE FUNCTION workers.routing_store_error_probe() RETURNS trigger AS $$"
        f" BEGIN IF NEW.provider = '{probe}' THEN RAISE EXCEPTION 'simulated store failure'; END IF;"
        " RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER routing_store_error_probe BEFORE INSERT ON workers.routing_posteriors"
        " FOR EACH ROW EXECUTE FUNCTION workers.routing_store_error_probe()",
    ]
    async with workers.server.deps.sessions() as s, s.begin():
        for statement in ddl:
            await s.execute(text(statement))
    try:
        failed = await workers.call("RecordRoutingFeedback", _feedback(session.id, probe, 1.0), reg.worker)
        fine = await workers.call("RecordRoutingFeedback", _feedback(session.id, "claude", 1.0), reg.worker)
    finally:
        async with workers.server.deps.sessions() as s, s.begin():
            await s.execute(text("DROP TRIGGER routing_store_error_probe ON workers.routing_posteriors"))
            await s.execute(text("DROP FUNCTION workers.routing_store_error_probe()"))
    assert (failed.recorded, fine.recorded) == (False, True)
    async with workers.server.deps.reads() as s:
        providers = await s.scalars(
            text("SELECT provider FROM workers.routing_observations WHERE session_id = :s"), {"s": session.id}
        )
        assert list(providers) == ["claude"]


async def test_selection_validates_its_input(routed) -> None:
    reg, session = await _claimed(routed)
    for request, named in (
        (_select(session.id), "candidates"),
        (_select(session.id, "a", ""), "candidates"),
        (_select(session.id, *[f"p{i}" for i in range(21)]), "candidates"),
        (_select(session.id, "a", "b", work_type=""), "workType"),
    ):
        error = await routed.fails("SelectRoutingProvider", request, reg.worker)
        assert error.code() == CODE.INVALID_ARGUMENT
        assert named in error.details()


async def test_who_may_select_and_give_feedback(routed) -> None:
    reg, session = await _claimed(routed)
    request = _select(session.id, "claude", "codex")
    # The org's key and admins may route the session; a plain member may not.
    assert (await routed.call("SelectRoutingProvider", request, reg.key)).source == "thompson"
    assert (await routed.call("SelectRoutingProvider", request, routed.admin(reg.org))).source == "thompson"
    assert (
        await routed.fails("SelectRoutingProvider", request, _member(reg.org))
    ).code() == CODE.PERMISSION_DENIED
    intruder = await routed.register(reg.org)
    denied = await routed.fails("SelectRoutingProvider", request, intruder.worker)
    assert (denied.code(), denied.details()) == (CODE.PERMISSION_DENIED, "Session is owned by another worker")
    stranger = await routed.register()
    for principal in (stranger.worker, stranger.key, routed.admin(stranger.org)):
        for method, message in (
            ("SelectRoutingProvider", request),
            ("RecordRoutingFeedback", _feedback(session.id, "claude", 1.0)),
        ):
            error = await routed.fails(method, message, principal)
            assert (error.code(), error.details()) == (CODE.NOT_FOUND, "Session not found")
    unknown = await routed.fails("SelectRoutingProvider", _select("no-such-session", "a", "b"), reg.worker)
    assert unknown.code() == CODE.NOT_FOUND
    assert (await routed.fails("SelectRoutingProvider", request)).code() == CODE.PERMISSION_DENIED


async def test_metrics_page_decisions_and_stay_in_the_org(routed) -> None:
    reg, session = await _claimed(routed)
    for reward in (1.0, 1.0, 0.0):
        await routed.call(
            "RecordRoutingFeedback", _feedback(session.id, "claude", reward, total_cost_usd=2.0), reg.worker
        )
    await routed.call("RecordRoutingFeedback", _feedback(session.id, "codex", 0.5), reg.worker)
    for _ in range(5):
        await routed.call("SelectRoutingProvider", _select(session.id, "claude", "codex"), reg.worker)
    await routed.call("SelectRoutingProvider", _select(session.id, "claude"), reg.worker)

    first = await routed.call("GetRoutingMetrics", svc.GetRoutingMetricsRequest(limit=4), _member(reg.org))
    assert [
        (p.provider, p.alpha, p.beta, p.total_observations, p.avg_cost_usd) for p in first.posteriors
    ] == [
        ("claude", 3.0, 2.0, 3, 2.0),
        ("codex", 1.5, 1.5, 1, 0.0),
    ]
    assert first.posteriors[0].expected_reward == pytest.approx(0.6)
    assert 0 < first.posteriors[0].confidence < 1
    assert (first.routing_enabled, first.total_decisions, first.total_observations) == (True, 6, 4)
    assert [d.source for d in first.recent_decisions] == ["explicit", "thompson", "thompson", "thompson"]
    newest = first.recent_decisions[0]
    assert (newest.session_id, list(newest.candidates), newest.selected_provider) == (
        session.id,
        ["claude"],
        "claude",
    )
    assert first.next_cursor
    second = await routed.call(
        "GetRoutingMetrics", svc.GetRoutingMetricsRequest(limit=4, cursor=first.next_cursor), reg.key
    )
    assert len(second.recent_decisions) == 2
    assert second.next_cursor == ""
    ids = [d.id for d in (*first.recent_decisions, *second.recent_decisions)]
    assert ids == sorted(ids, key=int, reverse=True)
    assert len(set(ids)) == 6

    # explorationRate: the share of thompson decisions that did not take the best-mean arm ("claude").
    explored = sum(
        1
        for d in (*first.recent_decisions, *second.recent_decisions)
        if d.source == "thompson" and d.selected_provider != "claude"
    )
    assert first.exploration_rate == pytest.approx(explored / 5)
    assert first.timestamp.seconds > 0

    other = await routed.register()
    empty = await routed.call("GetRoutingMetrics", svc.GetRoutingMetricsRequest(), other.key)
    assert (list(empty.posteriors), list(empty.recent_decisions), empty.total_decisions) == ([], [], 0)
    for request, named in (
        (svc.GetRoutingMetricsRequest(limit=101), "limit"),
        (svc.GetRoutingMetricsRequest(cursor="abc"), "cursor"),
    ):
        error = await routed.fails("GetRoutingMetrics", request, reg.key)
        assert (error.code(), named in error.details()) == (CODE.INVALID_ARGUMENT, True)
    worker = await routed.fails("GetRoutingMetrics", svc.GetRoutingMetricsRequest(), reg.worker)
    assert worker.code() == CODE.PERMISSION_DENIED
