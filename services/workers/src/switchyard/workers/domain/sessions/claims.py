"""Queue plumbing shared by the session and fleet services: enqueue, requeue, release, promote."""

from __future__ import annotations

from collections.abc import Sequence

from switchyard.workers.db.models import Session
from switchyard.workers.domain.common import queue_score, to_ms
from switchyard.workers.domain.context import Deps
from switchyard.workers.domain.sessions import repository as repo
from switchyard.workers.domain.sessions.fsm import PENDING


def score_of(row: Session) -> float:
    """The queue score a session had when first queued (nacks keep their place)."""
    return queue_score(row.priority, to_ms(row.queued_at))


async def enqueue(deps: Deps, row: Session) -> bool:
    """Queue new work; it waits parked while another session holds its issue. True when queued."""
    ttl = deps.policy.issue_lock_ttl_seconds
    if await deps.locks.acquire(row.org_id, row.issue_id, row.id, ttl_seconds=ttl):
        await deps.queue.push(row.org_id, {row.id: score_of(row)})
        return True
    await deps.locks.park(row.org_id, row.issue_id, row.id, score_of(row))
    return False


async def requeue(deps: Deps, rows: Sequence[Session]) -> None:
    """Put sessions that went back to pending into their org queue with their original score.

    They keep the issue lock they took when first queued, so they go straight to the queue.
    """
    by_org: dict[str, dict[str, float]] = {}
    for row in rows:
        by_org.setdefault(row.org_id, {})[row.id] = score_of(row)
    for org_id, items in by_org.items():
        await deps.queue.push(org_id, items)


async def release_claims(deps: Deps, *, worker_id: str, org_id: str) -> tuple[str, ...]:
    """Give every session the worker claimed but never started back to the queue."""
    held = await deps.fleet.held(worker_id)
    if not held:
        return ()
    async with deps.sessions() as s, s.begin():
        rows = await repo.unclaim(s, worker_id=worker_id, ids=sorted(held), now=deps.clock())
    await requeue(deps, rows)
    return tuple(sorted(row.id for row in rows))


async def after_terminal(deps: Deps, row: Session) -> None:
    """Release the claim, the issue lock and file reservations, then promote the issue's next parked work."""
    if row.worker_id:
        await deps.fleet.let_go(row.worker_id, row.id)
    await deps.queue.remove(row.org_id, row.id)
    await deps.locks.release(row.org_id, row.issue_id, row.id)
    await deps.files.release_all(row.id)
    await promote(deps, org_id=row.org_id, issue_id=row.issue_id)


async def promote(deps: Deps, *, org_id: str, issue_id: str) -> str | None:
    """Move the issue's next parked pending session into the queue; its id, or None."""
    ttl = deps.policy.issue_lock_ttl_seconds
    while (parked := await deps.locks.unpark(org_id, issue_id)) is not None:
        session_id, score = parked
        if not await deps.locks.acquire(org_id, issue_id, session_id, ttl_seconds=ttl):
            # Someone else took the issue meanwhile: the work waits for that session instead.
            await deps.locks.park(org_id, issue_id, session_id, score)
            return None
        async with deps.reads() as s:
            row = await repo.get(s, session_id)
        if row is None or row.status != PENDING:
            # Stopped while parked: it must not keep the issue from the next one.
            await deps.locks.release(org_id, issue_id, session_id)
            continue
        await deps.queue.push(org_id, {session_id: score})
        return session_id
    return None
