"""ListMutations: newest first, the limit rules, org scoping."""

from __future__ import annotations

import grpc
import pytest
from switchyard.mutations.v1 import mutations_service_pb2 as svc

pytestmark = pytest.mark.integration


async def test_history_is_newest_first_and_limited(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    queued = [await mutations.enqueue(org, host, "project.remove", id=f"p{i}") for i in range(5)]
    history = await mutations.history(org, host)
    assert [m.id for m in history] == [m.id for m in reversed(queued)]
    assert [m.id for m in await mutations.history(org, host, limit=2)] == [queued[4].id, queued[3].id]
    assert len(await mutations.history(org, host, limit=500)) == 5


async def test_default_limit_is_100(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    for i in range(101):
        await mutations.enqueue(org, host, "project.remove", id=f"p{i}")
    assert len(await mutations.history(org, host)) == 100
    assert len(await mutations.history(org, host, limit=101)) == 101


@pytest.mark.parametrize("limit", [-1, 501, 100000])
async def test_limit_out_of_range_is_invalid(mutations, limit) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    error = await mutations.fails(
        "ListMutations", svc.ListMutationsRequest(worker_host_id=host, limit=limit), mutations.owner(org)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("limit ")


async def test_any_member_or_org_key_may_read(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    queued = await mutations.enqueue(org, host)
    request = svc.ListMutationsRequest(worker_host_id=host)
    for principal in (mutations.member(org, "user"), mutations.org_key(org, "worker:poll")):
        response = await mutations.call("ListMutations", request, principal)
        assert [m.id for m in response.mutations] == [queued.id]


async def test_a_fresh_host_has_an_empty_history(mutations) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    assert await mutations.history(org, host) == []


async def test_another_orgs_host_or_an_unknown_host_is_not_found(mutations) -> None:
    org, other = mutations.new_org(), mutations.new_org()
    theirs = await mutations.new_host(other)
    await mutations.enqueue(other, theirs)
    for host in (theirs, "wkr_ffffffffffffffff"):
        error = await mutations.fails(
            "ListMutations", svc.ListMutationsRequest(worker_host_id=host), mutations.owner(org)
        )
        assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_missing_host_id_is_invalid(mutations) -> None:
    org = mutations.new_org()
    error = await mutations.fails("ListMutations", svc.ListMutationsRequest(), mutations.owner(org))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "workerHostId" in error.details()
