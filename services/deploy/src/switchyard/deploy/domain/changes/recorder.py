"""Appending to the feed: every write calls ``record`` inside its own transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.domain.access import Actor
from switchyard.deploy.domain.changes import repository as repo
from switchyard.deploy.domain.changes.models import ChangeDraft
from switchyard.deploy.domain.context import Deps
from switchyard.deploy.domain.events import ChangeRecorded, ChangeView


async def record(session: AsyncSession, deps: Deps, actor: Actor, *drafts: ChangeDraft) -> list[ChangeView]:
    """Append ``drafts`` for ``actor``'s org and queue a ``deploy.change.recorded`` event for each."""
    return await record_many(session, deps, org_id=actor.org_id, actor=actor.name, drafts=drafts)


async def record_many(
    session: AsyncSession, deps: Deps, *, org_id: str, actor: str, drafts: Sequence[ChangeDraft]
) -> list[ChangeView]:
    """``record`` for callers without an ``Actor`` (event projections)."""
    views = await repo.append(session, org_id=org_id, actor=actor, drafts=drafts, now=deps.clock())
    for view in views:
        await deps.events.add(session, ChangeRecorded(change=view))
    return views
