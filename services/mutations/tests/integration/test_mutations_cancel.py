"""CancelMutation: only while pending; 409 with the seed's body fields after; 404 across orgs."""

from __future__ import annotations

import grpc
import pytest
from switchyard.mutations.v1 import mutations_pb2 as pb
from switchyard.mutations.v1 import mutations_service_pb2 as svc

pytestmark = pytest.mark.integration

ALREADY_DELIVERED = {"cancelled": False, "reason": "already_delivered"}


def cancel(mutation_id: str) -> svc.CancelMutationRequest:
    return svc.CancelMutationRequest(mutation_id=mutation_id)


async def test_a_cancelled_mutation_is_never_delivered(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    queued = await mutations.enqueue(org, host)
    response = await mutations.call("CancelMutation", cancel(queued.id), mutations.owner(org))
    assert response.cancelled is True
    assert list((await mutations.beat(org, host)).pending_mutations) == []
    [stored] = await mutations.history(org, host)
    assert stored.status == pb.MUTATION_STATUS_CANCELLED
    assert stored.HasField("cancelled_at")
    assert not stored.HasField("delivered_at")


async def test_cancel_after_delivery_is_a_conflict(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    queued = await mutations.enqueue(org, host)
    await mutations.beat(org, host)
    error = await mutations.fails("CancelMutation", cancel(queued.id), mutations.owner(org))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert mutations.error_fields(error) == ALREADY_DELIVERED
    [stored] = await mutations.history(org, host)
    assert stored.status == pb.MUTATION_STATUS_DELIVERED


async def test_cancel_of_a_terminal_mutation_is_a_conflict(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    applied = await mutations.enqueue(org, host)
    await mutations.beat(org, host)
    await mutations.beat(org, host, applied=(applied.id,))
    cancelled = await mutations.enqueue(org, host)
    await mutations.call("CancelMutation", cancel(cancelled.id), mutations.owner(org))
    for mutation_id in (applied.id, cancelled.id):
        error = await mutations.fails("CancelMutation", cancel(mutation_id), mutations.owner(org))
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert mutations.error_fields(error) == ALREADY_DELIVERED


async def test_missing_or_another_orgs_mutation_is_not_found(mutations) -> None:
    org, other = mutations.new_org(), mutations.new_org()
    host = await mutations.new_host(other)
    theirs = await mutations.enqueue(other, host)
    for mutation_id in (theirs.id, "mut_000000000000000000000000", ""):
        error = await mutations.fails("CancelMutation", cancel(mutation_id), mutations.owner(org))
        assert error.code() == grpc.StatusCode.NOT_FOUND
    [stored] = await mutations.history(other, host)
    assert stored.status == pb.MUTATION_STATUS_PENDING


async def test_only_admins_may_cancel(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    queued = await mutations.enqueue(org, host)
    for principal in (mutations.member(org, "user"), mutations.org_key(org, "worker:register")):
        error = await mutations.fails("CancelMutation", cancel(queued.id), principal)
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    response = await mutations.call("CancelMutation", cancel(queued.id), mutations.org_key(org, "*"))
    assert response.cancelled is True
