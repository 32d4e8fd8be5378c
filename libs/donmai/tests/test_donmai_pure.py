"""Pure parts of the daemon client: interval rounding, backoff, allowlist hashing, bodies, mutations."""

from __future__ import annotations

import pytest
from switchyard.donmai import (
    AckBook,
    Allowlist,
    AllowlistReporter,
    HostConfig,
    Project,
    RetryPolicy,
    apply_mutation,
    heartbeat_body,
    interval_seconds,
    nack_body,
    normalize_repository,
    parse_instant,
    status_body,
    synthesize_summary,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("milliseconds", "expected"),
    [(30000, 30), (1500, 2), (1, 1), (999, 1), (1000, 1), (1001, 2), (0.5, 1), (5000.0, 5)],
)
def test_server_intervals_round_up_to_whole_seconds(milliseconds: float, expected: int) -> None:
    assert interval_seconds(milliseconds, 30) == expected


@pytest.mark.parametrize("missing", [None, 0, -5, "30000", True, float("nan"), float("inf")])
def test_absent_or_invalid_intervals_use_the_default(missing: object) -> None:
    assert interval_seconds(missing, 30) == 30
    assert interval_seconds(missing, 5) == 5


def test_backoff_ladder_is_one_two_four_and_only_waits_between_attempts() -> None:
    policy = RetryPolicy()
    assert policy.schedule() == (1.0, 2.0, 4.0)
    assert policy.waits() == (1.0, 2.0)
    assert RetryPolicy(attempts=4, base_delay=0.5).schedule() == (0.5, 1.0, 2.0, 4.0)
    assert RetryPolicy(attempts=1).waits() == ()


def test_expiry_accepts_iso_epoch_ms_and_epoch_seconds() -> None:
    assert parse_instant("2030-01-01T00:00:00Z") == 1893456000.0
    assert parse_instant("2030-01-01T00:00:00+00:00") == 1893456000.0
    assert parse_instant(1893456000000) == 1893456000.0
    assert parse_instant("1893456000000") == 1893456000.0
    assert parse_instant(1893456000) == 1893456000.0
    assert parse_instant("soon") is None
    assert parse_instant(None) is None
    assert parse_instant(True) is None


def test_allowlist_hash_is_order_independent_and_changes_with_content() -> None:
    one = Allowlist([Project("a", "github.com/x/a"), Project("b", "github.com/x/b")])
    two = Allowlist([Project("b", "github.com/x/b"), Project("a", "github.com/x/a")])
    assert one.digest() == two.digest()
    assert len(one.digest()) == 64
    two.disable("b")
    assert one.digest() != two.digest()
    three = Allowlist([Project("a", "github.com/x/a"), Project("b", "github.com/x/b")], mode="all-routed")
    assert three.digest() != one.digest()


def test_full_allowlist_is_sent_only_until_the_server_acknowledges_its_hash() -> None:
    allowlist = Allowlist([Project("a", "github.com/x/a")])
    reporter = AllowlistReporter()
    first, digest = reporter.fields(allowlist)
    assert first == {
        "allowlistHash": digest,
        "allowlist": [{"id": "a", "repository": "github.com/x/a"}],
        "enabledProjectIds": ["a"],
        "projectAdmissionMode": "enumerated",
    }
    # Not acknowledged (the beat failed): the next beat repeats everything.
    assert reporter.fields(allowlist)[0] == first
    reporter.acknowledge(digest)
    assert reporter.fields(allowlist) == ({"allowlistHash": digest}, digest)
    allowlist.add(Project("b", "github.com/x/b"))
    changed, new_digest = reporter.fields(allowlist)
    assert new_digest != digest
    assert changed["enabledProjectIds"] == ["a", "b"]
    reporter.acknowledge(new_digest)
    reporter.reset()  # a new worker id knows nothing
    assert "allowlist" in reporter.fields(allowlist)[0]


def test_admission_resolves_project_name_then_repository() -> None:
    allowlist = Allowlist(
        [Project("web", "https://github.com/Acme/Web.git"), Project("api", "github.com/acme/api")]
    )
    allowlist.disable("api")
    assert allowlist.admits({"projectName": "web"})
    assert allowlist.admits({"repository": "git@github.com:acme/web.git"})
    assert not allowlist.admits({"projectName": "api"})
    assert not allowlist.admits({"repository": "https://github.com/acme/api"})
    assert not allowlist.admits({"projectName": "other"})
    assert allowlist.admits({"issueId": "i-1"})  # names no project: the server routed it here
    allowlist.mode = "all-routed"
    assert allowlist.admits({"projectName": "other"})
    assert not allowlist.admits({"projectName": "api"})  # disabled stays refused
    assert normalize_repository("ssh://git@github.com/a/b/") == "github.com/a/b"
    assert normalize_repository("HTTPS://github.com/A/B.git") == "github.com/a/b"


def test_heartbeat_body_has_exactly_the_daemon_keys() -> None:
    quiet = heartbeat_body(
        status="idle", active_count=0, max_sessions=2, allowlist_fields={"allowlistHash": "h"}
    )
    assert quiet == {"status": "idle", "activeCount": 0, "maxSessions": 2, "allowlistHash": "h"}
    busy = heartbeat_body(
        status="",
        active_count=1,
        max_sessions=2,
        allowlist_fields={"allowlistHash": "h"},
        applied=["m1"],
        failures=[{"id": "m2", "error": "unknown op"}],
        load={"cpu": 12.5, "memory": 40.0},
    )
    assert busy == {
        "activeCount": 1,
        "maxSessions": 2,
        "load": {"cpu": 12.5, "memory": 40.0},
        "allowlistHash": "h",
        "appliedMutations": ["m1"],
        "mutationFailures": [{"id": "m2", "error": "unknown op"}],
    }
    assert "region" not in busy


def test_session_bodies() -> None:
    work = {"sessionId": "s1", "issueId": "i1", "issueIdentifier": "ENG-1", "priority": 2, "queuedAt": 1}
    assert nack_body(worker_id="wkr_1", work=work, reason="at capacity") == {
        "workerId": "wkr_1",
        "reason": "at capacity",
        "work": work,
    }
    assert status_body(worker_id="wkr_1", status="failed", error="boom", extra={"worktreePath": None}) == {
        "workerId": "wkr_1",
        "status": "failed",
        "error": {"message": "boom"},
    }
    assert synthesize_summary(work, "completed", None) == "Agent session for ENG-1 ended: completed."
    assert (
        synthesize_summary({"sessionId": "s9"}, "failed", "boom")
        == "Agent session for s9 ended: failed. boom"
    )


def test_mutations_apply_idempotently_and_report_failures() -> None:
    config = HostConfig(allowlist=Allowlist([Project("a", "github.com/x/a")]))
    add = {"id": "m1", "op": "project.add", "params": {"id": "b", "repository": "github.com/x/b"}}
    assert apply_mutation(config, add) is None
    assert apply_mutation(config, add) is None
    assert sorted(config.allowlist.projects) == ["a", "b"]
    assert apply_mutation(config, {"id": "m2", "op": "project.disable", "params": {"id": "b"}}) is None
    assert config.allowlist.enabled == {"a"}
    assert apply_mutation(config, {"id": "m3", "op": "project.enable", "params": {"id": "zzz"}}) == (
        "project zzz is not in the allowlist"
    )
    assert apply_mutation(config, {"id": "m4", "op": "project.remove", "params": {"id": "a"}}) is None
    assert apply_mutation(config, {"id": "m4", "op": "project.remove", "params": {"id": "a"}}) is None
    assert sorted(config.allowlist.projects) == ["b"]
    assert apply_mutation(config, {"id": "m5", "op": "project.add", "params": {}}) == (
        "params.id must be a non-empty string"
    )
    assert apply_mutation(config, {"id": "m6", "op": "warp.drive", "params": {}}) == "unknown op 'warp.drive'"


def test_model_access_and_pool_and_kill_mutations() -> None:
    config = HostConfig(allowlist=Allowlist())
    policy = {"matrix": {"claude": ["sonnet"]}, "authOrder": ["oauth"]}
    assert apply_mutation(config, {"id": "1", "op": "modelAccess.set", "params": {"policy": policy}}) is None
    assert (
        apply_mutation(
            config, {"id": "2", "op": "modelAccess.set", "params": {"workload": "coding", "policy": policy}}
        )
        is None
    )
    assert config.model_access == {"": policy, "coding": policy}
    assert (
        apply_mutation(
            config, {"id": "3", "op": "modelAccess.set", "params": {"workload": "nope", "policy": policy}}
        )
        == "unknown workload 'nope'"
    )
    assert apply_mutation(config, {"id": "4", "op": "modelAccess.set", "params": {"policy": {}}}) == (
        "params.policy must be an object with a matrix"
    )
    assert (
        apply_mutation(config, {"id": "5", "op": "modelAccess.clear", "params": {"workload": "coding"}})
        is None
    )
    assert config.model_access == {"": policy}
    assert apply_mutation(config, {"id": "6", "op": "modelAccess.clear", "params": {}}) is None
    assert config.model_access == {}
    assert apply_mutation(config, {"id": "7", "op": "pool.deleted", "params": {"poolId": "p1"}}) is None
    assert "p1" in config.deleted_pools
    killed: list[tuple[str, str]] = []
    kill = {"id": "8", "op": "session.kill", "params": {"sessionId": "s1", "reason": "stuck"}}
    assert apply_mutation(config, kill, kill=lambda sid, why: killed.append((sid, why))) is None
    assert killed == [("s1", "stuck")]


def test_ack_book_hands_back_outcomes_of_a_lost_beat() -> None:
    book = AckBook()
    book.record("m1", None)
    book.record("m2", "bad params")
    book.record("m1", None)  # re-delivered before the ACK landed: still one ACK
    applied, failures = book.take()
    assert (applied, failures) == (["m1"], [{"id": "m2", "error": "bad params"}])
    assert book.take() == ([], [])
    book.record("m3", None)
    book.give_back(applied, failures)
    assert book.take() == (["m1", "m3"], [{"id": "m2", "error": "bad params"}])
    book.record("m4", None)
    book.clear()
    assert book.take() == ([], [])
