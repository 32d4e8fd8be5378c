"""Re-queue pending sessions that PostgreSQL holds but Redis lost.

A session is committed in PostgreSQL before it is pushed to its org queue (or parked behind its issue's
lock), so a crash between the two, or a Redis flush or failover, leaves pending work that no poll can
reach. A periodic pass finds pending rows that are in neither place and queues them again with their
original score. A duplicate entry is harmless: a claim is a conditional UPDATE on ``status = 'pending'``,
so a second pop of the same session claims nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from switchyard.workers.db.models import Session
from switchyard.workers.domain.context import Deps
from switchyard.workers.domain.sessions import repository as repo
from switchyard.workers.domain.sessions.claims import enqueue
from switchyard.workers.domain.sessions.fsm import PENDING

PAGE = 500
# One pass looks at this many pending sessions at most; the next pass starts again from the first.
MAX_PER_PASS = 20_000


async def _lost(deps: Deps, rows: Sequence[Session]) -> list[Session]:
    by_org: dict[str, list[Session]] = {}
    for row in rows:
        by_org.setdefault(row.org_id, []).append(row)
    missing: list[Session] = []
    for org_id, group in by_org.items():
        queued = await deps.queue.present(org_id, [row.id for row in group])
        for row in group:
            if row.id not in queued and not await deps.locks.parked(org_id, row.issue_id, row.id):
                missing.append(row)
    return missing


async def _restore(deps: Deps, row: Session) -> bool:
    # Re-read: a poll may have popped and claimed it since the page was read.
    async with deps.reads() as s:
        current = await repo.get(s, row.id)
    if current is None or current.status != PENDING:
        return False
    await enqueue(deps, current)
    return True


async def reconcile_queue(deps: Deps, *, grace_seconds: float) -> int:
    """One pass: queue again every pending session missing from Redis; how many were restored.

    Args:
        deps: The service's collaborators.
        grace_seconds: Sessions changed more recently than this are left alone (their push may be in flight).
    """
    cutoff = deps.clock() - timedelta(seconds=grace_seconds)
    after, seen, restored = "", 0, 0
    while seen < MAX_PER_PASS:
        async with deps.reads() as s:
            rows = await repo.pending_page(s, after_id=after, updated_before=cutoff, limit=PAGE)
        if not rows:
            break
        for row in await _lost(deps, rows):
            restored += int(await _restore(deps, row))
        seen += len(rows)
        after = rows[-1].id
    return restored
