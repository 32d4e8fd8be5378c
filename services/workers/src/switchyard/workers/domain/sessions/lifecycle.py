"""Moving sessions through the FSM, its terminal side effects, and the issue lock."""

from __future__ import annotations

from switchyard.grpckit.errors import InvalidArgument
from switchyard.grpckit.principal import Principal
from switchyard.workers.db.models import Session
from switchyard.workers.domain import events as ev
from switchyard.workers.domain.common import optional, required
from switchyard.workers.domain.context import Deps, require_worker_id
from switchyard.workers.domain.sessions import fsm
from switchyard.workers.domain.sessions import repository as repo
from switchyard.workers.domain.sessions.claims import after_terminal
from switchyard.workers.domain.sessions.models import SessionView, StatusUpdate
from switchyard.workers.domain.sessions.ownership import owned


def _apply(row: Session, update: StatusUpdate) -> None:
    # Absent values keep what is stored, so a bare status post never wipes cost or paths.
    if update.provider_session_id:
        row.provider_session_id = optional(update.provider_session_id, field="providerSessionId")
    if update.worktree_path:
        row.worktree_path = optional(update.worktree_path, field="worktreePath", max_len=4096)
    if update.error_message:
        row.error_message = optional(update.error_message, field="error.message", max_len=10_000)
    if update.total_cost_usd is not None:
        row.total_cost_usd = _non_negative(update.total_cost_usd, field="totalCostUsd")
    if update.input_tokens is not None:
        row.input_tokens = int(_non_negative(update.input_tokens, field="inputTokens"))
    if update.output_tokens is not None:
        row.output_tokens = int(_non_negative(update.output_tokens, field="outputTokens"))


def _non_negative(value: float, *, field: str) -> float:
    if value < 0:
        raise InvalidArgument(f"{field} must not be negative")
    return value


class LifecycleService:
    """UpdateSessionStatus and RefreshLock."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def update_status(self, *, principal: Principal, update: StatusUpdate) -> SessionView:
        """Apply a worker's status post; repeats are idempotent, impossible jumps FAILED_PRECONDITION."""
        require_worker_id(update.worker_id)
        target = fsm.worker_target(update.status)
        now = self._d.clock()
        async with self._d.sessions() as s, s.begin():
            row, wid = await owned(
                s, principal=principal, session_id=update.session_id, worker_id=update.worker_id, lock=True
            )
            before = row.status
            changed = fsm.transition(before, target)
            _apply(row, update)
            row.updated_at = now
            if changed:
                row.status = target
                if target in fsm.TERMINAL:
                    row.finished_at = now
                event = ev.SessionStatusChanged(
                    session_id=row.id,
                    org_id=row.org_id,
                    worker_id=wid,
                    from_status=before,
                    to_status=target,
                    total_cost_usd=row.total_cost_usd,
                    error_message=row.error_message,
                    occurred_at=now,
                )
                await self._d.events.add(s, event)
        if changed and target in fsm.TERMINAL:
            await after_terminal(self._d, row)
        elif target in fsm.TERMINAL:
            # A repeat of a terminal state (e.g. the worker confirming a stop made through the public API):
            # the session no longer counts against the worker's capacity.
            await self._d.fleet.let_go(wid, row.id)
        return repo.to_view(row)

    async def refresh_lock(
        self, *, principal: Principal, session_id: str, worker_id: str, issue_id: str
    ) -> bool:
        """Extend the issue lock of a live session the worker holds; False means ownership is lost."""
        require_worker_id(worker_id)
        issue = required(issue_id, field="issueId", max_len=255)
        async with self._d.reads() as s:
            row, _ = await owned(s, principal=principal, session_id=session_id, worker_id=worker_id)
        if row.status in fsm.TERMINAL or row.issue_id != issue:
            return False
        ttl = self._d.policy.issue_lock_ttl_seconds
        return await self._d.locks.refresh(row.org_id, issue, row.id, ttl_seconds=ttl)
