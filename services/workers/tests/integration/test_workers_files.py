"""File reservations and ownership transfer over real gRPC and Redis."""

from __future__ import annotations

import grpc
import pytest
from switchyard.workers.v1 import workers_service_pb2 as svc

pytestmark = pytest.mark.integration

REPO = "github.com/acme/app"


async def _running(workers, org: str | None = None, *, repository: str = REPO):  # type: ignore[no-untyped-def]
    reg = await workers.register(org)
    session = await workers.queue(reg.org, repository=repository)
    assert [w.session_id for w in (await workers.poll(reg)).work] == [session.id]
    await workers.status(reg, session.id, "running")
    return reg, session


def _reserve(session_id: str, *paths: str) -> svc.ReserveFilesRequest:
    return svc.ReserveFilesRequest(session_id=session_id, file_paths=list(paths), reason="editing")


async def test_reservations_conflict_name_the_holder_and_release(workers, redis) -> None:
    first, one = await _running(workers)
    second, two = await _running(workers, first.org)
    taken = await workers.call("ReserveFiles", _reserve(one.id, "src/a.py", "src/b.py"), first.worker)
    assert (list(taken.reserved), list(taken.conflicts)) == (["src/a.py", "src/b.py"], [])
    key = f"workers:files:{first.org}:{REPO}:src/a.py"
    assert 3590 <= await redis.ttl(key) <= 3600
    # Renewing one's own reservation is not a conflict.
    again = await workers.call("ReserveFiles", _reserve(one.id, "src/a.py"), first.worker)
    assert list(again.reserved) == ["src/a.py"]

    clash = await workers.call("ReserveFiles", _reserve(two.id, "src/b.py", "src/c.py"), second.worker)
    assert list(clash.reserved) == ["src/c.py"]
    assert [(c.file_path, c.held_by_session_id) for c in clash.conflicts] == [("src/b.py", one.id)]
    assert clash.conflicts[0].reserved_at.seconds > 0
    check = svc.CheckFileConflictsRequest(session_id=two.id, file_paths=["src/a.py", "src/c.py"])
    conflicts = (await workers.call("CheckFileConflicts", check, second.worker)).conflicts
    assert [(c.file_path, c.held_by_session_id) for c in conflicts] == [("src/a.py", one.id)]

    # Releasing another session's path releases nothing.
    other = svc.ReleaseFilesRequest(session_id=two.id, file_paths=["src/a.py"])
    assert (await workers.call("ReleaseFiles", other, second.worker)).released == 0
    mine = svc.ReleaseFilesRequest(session_id=one.id, file_paths=["src/a.py"])
    assert (await workers.call("ReleaseFiles", mine, first.worker)).released == 1
    assert list((await workers.call("CheckFileConflicts", check, second.worker)).conflicts) == []
    everything = svc.ReleaseAllFilesRequest(session_id=one.id)
    assert (await workers.call("ReleaseAllFiles", everything, first.worker)).released == 1
    assert list(
        (await workers.call("ReserveFiles", _reserve(two.id, "src/b.py"), second.worker)).reserved
    ) == ["src/b.py"]


async def test_reservations_are_per_org_and_repository(workers) -> None:
    first, one = await _running(workers)
    await workers.call("ReserveFiles", _reserve(one.id, "README.md"), first.worker)
    other_repo, two = await _running(workers, first.org, repository="github.com/acme/other")
    free = await workers.call("ReserveFiles", _reserve(two.id, "README.md"), other_repo.worker)
    assert list(free.reserved) == ["README.md"]
    other_org, three = await _running(workers)
    free = await workers.call("ReserveFiles", _reserve(three.id, "README.md"), other_org.worker)
    assert list(free.reserved) == ["README.md"]


async def test_terminal_state_releases_reservations(workers) -> None:
    first, one = await _running(workers)
    second, two = await _running(workers, first.org)
    await workers.call("ReserveFiles", _reserve(one.id, "x.py"), first.worker)
    await workers.status(first, one.id, "completed")
    taken = await workers.call("ReserveFiles", _reserve(two.id, "x.py"), second.worker)
    assert (list(taken.reserved), list(taken.conflicts)) == (["x.py"], [])
    ended = await workers.fails("ReserveFiles", _reserve(one.id, "y.py"), first.worker)
    assert ended.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_file_requests_validate_and_check_the_owner(workers) -> None:
    first, one = await _running(workers)
    intruder = await workers.register(first.org)
    empty = await workers.fails("ReserveFiles", _reserve(one.id), first.worker)
    assert empty.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "filePaths" in (empty.details() or "")
    foreign = await workers.fails("ReserveFiles", _reserve(one.id, "a"), intruder.worker)
    assert foreign.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "owned by another worker" in (foreign.details() or "")
    unknown = await workers.fails(
        "ReleaseAllFiles", svc.ReleaseAllFilesRequest(session_id="nope"), first.worker
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND


def _transfer(session_id: str, new: str, old: str) -> svc.TransferSessionOwnershipRequest:
    return svc.TransferSessionOwnershipRequest(session_id=session_id, new_worker_id=new, old_worker_id=old)


async def test_transfer_moves_the_session_to_the_new_worker(workers) -> None:
    old, session = await _running(workers)
    new = await workers.register(old.org)
    moved = await workers.call(
        "TransferSessionOwnership", _transfer(session.id, new.worker_id, old.worker_id), new.worker
    )
    assert moved.transferred
    assert moved.session.worker_id == new.worker_id
    # The new worker now owns it; the old one is refused.
    await workers.status(new, session.id, "finalizing")
    refused = await workers.fails(
        "UpdateSessionStatus",
        svc.UpdateSessionStatusRequest(session_id=session.id, worker_id=old.worker_id, status="completed"),
        old.worker,
    )
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
    # A second transfer naming the previous owner is rejected with a reason.
    stale = await workers.call(
        "TransferSessionOwnership", _transfer(session.id, new.worker_id, old.worker_id), new.worker
    )
    assert (stale.transferred, stale.reason) == (False, "Session is owned by another worker")


async def test_transfer_rules(workers) -> None:
    old, session = await _running(workers)
    new = await workers.register(old.org)
    bystander = await workers.register(old.org)
    stranger = await workers.register()
    missing = await workers.fails(
        "TransferSessionOwnership", svc.TransferSessionOwnershipRequest(session_id=session.id), new.worker
    )
    assert missing.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "newWorkerId" in (missing.details() or "")
    assert "oldWorkerId" in (missing.details() or "")
    not_party = await workers.fails(
        "TransferSessionOwnership", _transfer(session.id, new.worker_id, old.worker_id), bystander.worker
    )
    assert not_party.code() == grpc.StatusCode.PERMISSION_DENIED
    other_org = await workers.fails(
        "TransferSessionOwnership", _transfer(session.id, stranger.worker_id, old.worker_id), old.worker
    )
    assert other_org.code() == grpc.StatusCode.NOT_FOUND
    unknown = await workers.fails(
        "TransferSessionOwnership", _transfer("nope", new.worker_id, old.worker_id), new.worker
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    state = await workers.call(
        "GetSessionStatus", svc.GetSessionStatusRequest(session_id=session.id), old.key
    )
    assert state.session.worker_id == old.worker_id
