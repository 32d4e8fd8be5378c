"""Moving a live session to another worker of the org (a re-registered daemon takes its sessions back)."""

from __future__ import annotations

from dataclasses import dataclass

from switchyard.grpckit.errors import InvalidArgument, NotFound, PermissionDenied
from switchyard.grpckit.principal import Principal
from switchyard.workers.domain.context import Deps, check_org, require_worker
from switchyard.workers.domain.sessions import repository as repo
from switchyard.workers.domain.sessions.fsm import TERMINAL
from switchyard.workers.domain.sessions.models import SessionView


@dataclass(frozen=True, slots=True)
class Transfer:
    """The outcome: the session after a transfer, or why it did not happen."""

    transferred: bool
    session: SessionView | None = None
    reason: str = ""


class TransferService:
    """TransferSessionOwnership."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def transfer(
        self, *, principal: Principal, session_id: str, new_worker_id: str, old_worker_id: str
    ) -> Transfer:
        """Move the session from ``old_worker_id`` to ``new_worker_id``; the caller must be one of them."""
        fields = (("newWorkerId", new_worker_id), ("oldWorkerId", old_worker_id))
        missing = [name for name, value in fields if not (value or "").strip()]
        if missing:
            raise InvalidArgument(f"{', '.join(missing)} is required")
        caller = require_worker(principal, "")
        if caller not in (new_worker_id, old_worker_id):
            raise PermissionDenied("Session is owned by another worker")
        target = await self._d.fleet.get(new_worker_id)
        if target is None or target.org_id != principal.tenant_id:
            raise NotFound("Worker not found")
        async with self._d.sessions() as s, s.begin():
            row = await repo.get(s, session_id, lock=True) if session_id else None
            if row is None:
                raise NotFound("Session not found")
            check_org(principal, row.org_id)
            if row.status in TERMINAL:
                return Transfer(transferred=False, reason=f"Session is {row.status}")
            if row.worker_id != old_worker_id:
                return Transfer(transferred=False, reason="Session is owned by another worker")
            row.worker_id = new_worker_id
            row.updated_at = self._d.clock()
        await self._d.fleet.let_go(old_worker_id, row.id)
        await self._d.fleet.hold(new_worker_id, [row.id], ttl_seconds=self._d.policy.worker_ttl_seconds)
        return Transfer(transferred=True, session=repo.to_view(row))
