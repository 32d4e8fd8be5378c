"""Persistence of worker registrations (the durable record; presence lives in Redis)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.workers.db.models import Worker
from switchyard.workers.domain.ports import Presence


def add_worker(session: AsyncSession, worker: Presence) -> None:
    """Record a registration in the caller's transaction."""
    session.add(
        Worker(
            id=worker.id,
            org_id=worker.org_id,
            hostname=worker.hostname,
            capacity=worker.capacity,
            version=worker.version,
            machine_id=worker.machine_id,
            region=worker.region,
            capabilities=list(worker.capabilities),
            all_projects=worker.all_projects,
            project_ids=list(worker.project_ids),
            registration_key_id=worker.registration_key_id,
            registered_at=worker.registered_at,
            deregistered_at=None,
        )
    )


async def mark_deregistered(session: AsyncSession, *, worker_id: str, now: datetime) -> None:
    """Stamp the registration as ended."""
    await session.execute(
        update(Worker)
        .where(Worker.id == worker_id, Worker.deregistered_at.is_(None))
        .values(deregistered_at=now)
    )
