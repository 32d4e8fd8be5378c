"""EnqueueMutation: who may queue, which ops and params are accepted, host validation, the outbox event."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf.struct_pb2 import Struct
from nats.js.api import ConsumerConfig, DeliverPolicy
from switchyard.bus import connect
from switchyard.mutations.v1 import events_pb2
from switchyard.mutations.v1 import mutations_pb2 as pb
from switchyard.mutations.v1 import mutations_service_pb2 as svc

pytestmark = pytest.mark.integration


def request(host: str, op: str, body: dict[str, Any]) -> svc.EnqueueMutationRequest:
    struct = Struct()
    struct.update(body)
    return svc.EnqueueMutationRequest(worker_host_id=host, op=op, params=struct)


async def test_owner_enqueues_a_pending_mutation(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    who = mutations.owner(org)
    response = await mutations.call(
        "EnqueueMutation", request(host, "project.add", {"id": "p1", "repository": "github.com/a/b"}), who
    )
    m = response.mutation
    assert m.id.startswith("mut_")
    assert (m.org_id, m.worker_host_id, m.op) == (org, host, "project.add")
    assert dict(m.params) == {"id": "p1", "repository": "github.com/a/b"}
    assert m.status == pb.MUTATION_STATUS_PENDING
    assert m.requested_by == who.user_id
    assert m.HasField("created_at")
    assert not m.HasField("delivered_at")
    assert not m.HasField("cancelled_at")


async def test_admins_and_wildcard_keys_may_enqueue(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    body = request(host, "project.remove", {"id": "p1"})
    await mutations.call("EnqueueMutation", body, mutations.member(org, "admin"))
    key = mutations.org_key(org, "*")
    response = await mutations.call("EnqueueMutation", body, key)
    assert response.mutation.requested_by == f"key:{key.token_id}"


@pytest.mark.parametrize(
    "principal_of",
    [
        lambda m, org: m.member(org, "user"),
        lambda m, org: m.org_key(org, "worker:register", "worker:heartbeat"),
        lambda m, org: m.org_key(org, "org_keys:write"),
        lambda m, org: None,
    ],
    ids=["plain-member", "worker-key", "org-keys-write-key", "anonymous"],
)
async def test_everyone_else_is_refused(mutations, principal_of) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    error = await mutations.fails(
        "EnqueueMutation", request(host, "project.remove", {"id": "p"}), principal_of(mutations, org)
    )
    assert error.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED)
    assert await mutations.history(org, host) == []


async def test_unknown_op_is_refused_naming_op(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    error = await mutations.fails(
        "EnqueueMutation", request(host, "project.explode", {"id": "p"}), mutations.owner(org)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("op ")
    assert await mutations.history(org, host) == []


@pytest.mark.parametrize(
    ("op", "body", "field"),
    [
        ("project.add", {"id": "p"}, "params.repository"),
        ("project.add", {"id": "", "repository": "r"}, "params.id"),
        ("project.remove", {}, "params.id"),
        ("project.enable", {"id": 3}, "params.id"),
        ("project.disable", {"id": "  "}, "params.id"),
        ("pool.deleted", {"candidatePoolIds": ["a"]}, "params.poolId"),
        ("pool.deleted", {"poolId": "p", "candidatePoolIds": "a"}, "params.candidatePoolIds"),
        ("pool.deleted", {"poolId": "p", "reason": 5}, "params.reason"),
        ("modelAccess.set", {"workload": "w"}, "params.policy"),
        ("modelAccess.set", {"policy": {"matrix": []}}, "params.policy.matrix"),
        ("modelAccess.set", {"policy": {"matrix": {}, "authOrder": "x"}}, "params.policy.authOrder"),
        ("modelAccess.set", {"workload": 1, "policy": {"matrix": {}}}, "params.workload"),
        ("modelAccess.clear", {"workload": True}, "params.workload"),
        ("session.kill", {"reason": "r"}, "params.sessionId"),
        ("session.wake", {}, "params.sessionId"),
        ("session.restart-harness", {"sessionId": ""}, "params.sessionId"),
    ],
)
async def test_bad_params_are_refused_naming_the_param(mutations, op, body, field) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    error = await mutations.fails("EnqueueMutation", request(host, op, body), mutations.owner(org))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith(f"{field} ")


@pytest.mark.parametrize(
    ("op", "body"),
    [
        ("pool.deleted", {"poolId": "p", "candidatePoolIds": ["a", "b"], "reason": "gone"}),
        ("modelAccess.set", {"workload": "", "policy": {"matrix": {"a": {"b": 1}}, "authOrder": ["x"]}}),
        ("modelAccess.clear", {}),
        ("session.kill", {"sessionId": "s", "reason": "stuck"}),
        ("session.wake", {"sessionId": "s"}),
        ("session.restart-harness", {"sessionId": "s"}),
        ("project.enable", {"id": "p"}),
        ("project.disable", {"id": "p"}),
    ],
)
async def test_every_op_with_valid_params_is_queued(mutations, op, body) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    response = await mutations.call("EnqueueMutation", request(host, op, body), mutations.owner(org))
    assert response.mutation.op == op
    assert response.mutation.status == pb.MUTATION_STATUS_PENDING


async def test_host_of_another_org_or_unknown_host_is_not_found(mutations) -> None:
    org, other = mutations.new_org(), mutations.new_org()
    theirs = await mutations.new_host(other)
    for host in (theirs, "wkr_0000000000000000"):
        error = await mutations.fails(
            "EnqueueMutation", request(host, "project.remove", {"id": "p"}), mutations.owner(org)
        )
        assert error.code() == grpc.StatusCode.NOT_FOUND
    assert await mutations.history(other, theirs) == []


async def test_missing_host_id_is_invalid(mutations) -> None:
    error = await mutations.fails(
        "EnqueueMutation", request("", "project.remove", {"id": "p"}), mutations.owner(mutations.new_org())
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "workerHostId" in error.details()


async def test_each_status_change_is_published_once(mutations, nats_url) -> None:
    nc = await connect(nats_url, name="mutations-test-events")
    try:
        js = nc.jetstream()
        sub = await js.subscribe(
            "mutations.mutation.*",
            stream="MUTATIONS",
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
        )
        org = mutations.new_org()
        host = await mutations.new_host(org)
        first = await mutations.enqueue(org, host)
        second = await mutations.enqueue(org, host, "project.remove", id="p2")
        await mutations.beat(org, host)
        await mutations.beat(org, host, applied=(first.id,), failures={second.id: "no such project"})
        mine: list[tuple[str, str, int]] = []
        while True:
            try:
                msg = await sub.next_msg(timeout=2 if len(mine) >= 6 else 15)
            except TimeoutError:
                break
            event = events_pb2.MutationChanged.FromString(msg.data)
            await msg.ack()
            if event.mutation.worker_host_id == host:
                mine.append((msg.subject, event.mutation.id, event.mutation.status))
        await sub.unsubscribe()
    finally:
        await nc.close()
    assert sorted(mine) == sorted(
        [
            ("mutations.mutation.enqueued", first.id, pb.MUTATION_STATUS_PENDING),
            ("mutations.mutation.enqueued", second.id, pb.MUTATION_STATUS_PENDING),
            ("mutations.mutation.delivered", first.id, pb.MUTATION_STATUS_DELIVERED),
            ("mutations.mutation.delivered", second.id, pb.MUTATION_STATUS_DELIVERED),
            ("mutations.mutation.applied", first.id, pb.MUTATION_STATUS_APPLIED),
            ("mutations.mutation.failed", second.id, pb.MUTATION_STATUS_FAILED),
        ]
    )
