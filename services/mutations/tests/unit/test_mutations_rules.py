"""Pure rules: op and param validation, the list limit, who may queue, who may beat, host status."""

from __future__ import annotations

import pytest
from switchyard.grpckit.errors import InvalidArgument, PermissionDenied, Unauthenticated
from switchyard.grpckit.principal import Principal
from switchyard.mutations.domain.mutations import rules

pytestmark = pytest.mark.unit


def test_every_daemon_op_is_known() -> None:
    assert set(rules.VALIDATORS) == {
        "project.add",
        "project.remove",
        "project.enable",
        "project.disable",
        "pool.deleted",
        "modelAccess.set",
        "modelAccess.clear",
        "session.kill",
        "session.wake",
        "session.restart-harness",
    }


@pytest.mark.parametrize(
    ("host", "op", "field"), [("", "project.add", "workerHostId"), ("h", "", "op"), ("h", "x", "op")]
)
def test_host_and_op_are_named_when_bad(host: str, op: str, field: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        rules.validate_mutation(worker_host_id=host, op=op, params={})
    assert info.value.message.startswith(f"{field} ")


def test_extra_params_pass_through() -> None:
    rules.validate_mutation(worker_host_id="h", op="project.remove", params={"id": "p", "note": {"any": [1]}})


@pytest.mark.parametrize(("limit", "expected"), [(0, 100), (1, 1), (500, 500)])
def test_list_limit(limit: int, expected: int) -> None:
    assert rules.list_limit(limit) == expected


@pytest.mark.parametrize("limit", [-1, 501])
def test_list_limit_out_of_range(limit: int) -> None:
    with pytest.raises(InvalidArgument, match="limit"):
        rules.list_limit(limit)


@pytest.mark.parametrize(
    ("principal", "requested_by"),
    [
        (Principal(kind="user", user_id="u1", tenant_id="o", role="owner"), "u1"),
        (Principal(kind="user", user_id="u2", tenant_id="o", role="admin"), "u2"),
        (Principal(kind="org_key", tenant_id="o", scopes=("*",), token_id="k1"), "key:k1"),
        (Principal(kind="m2m", user_id="m2m_1", tenant_id="o", scopes=("*",), token_id="j"), "m2m:m2m_1"),
    ],
)
def test_admin_actor(principal: Principal, requested_by: str) -> None:
    assert rules.admin_actor(principal) == rules.Actor(org_id="o", requested_by=requested_by)


@pytest.mark.parametrize(
    "principal",
    [
        Principal(kind="user", user_id="u", tenant_id="o", role="user"),
        Principal(kind="org_key", tenant_id="o", scopes=("worker:register", "org_keys:write"), token_id="k"),
        Principal(kind="worker", tenant_id="o", worker_id="w", scopes=("*",)),
        Principal(kind="service"),
        Principal(kind="anonymous"),
        Principal(kind="user", user_id="u", role="owner"),
    ],
)
def test_admin_actor_refuses(principal: Principal) -> None:
    with pytest.raises((PermissionDenied, Unauthenticated)):
        rules.admin_actor(principal)


def test_a_worker_beats_only_as_itself() -> None:
    me = Principal(kind="worker", tenant_id="o", worker_id="w1")
    assert rules.heartbeat_scope(me, "w1") == "o"
    with pytest.raises(PermissionDenied):
        rules.heartbeat_scope(me, "w2")
    assert rules.heartbeat_scope(Principal(kind="service"), "w2") == ""


def test_failure_text_is_capped_and_never_empty() -> None:
    assert rules.failure_text("  boom ") == "boom"
    assert rules.failure_text("") == "unspecified failure"
    assert len(rules.failure_text("x" * 10_000)) == rules.FAILURE_MAX


def test_only_pool_deleted_implies_a_host_status() -> None:
    assert rules.host_status_from("pool.deleted", {"poolId": "p", "candidatePoolIds": ["a"]}) == (
        "pool_deleted",
        ("a",),
    )
    assert rules.host_status_from("pool.deleted", {"poolId": "p"}) == ("pool_deleted", ())
    assert rules.host_status_from("project.add", {"id": "p", "repository": "r"}) is None
