"""Steering a session through the public API: a new prompt, or a stop."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from switchyard.grpckit.principal import Principal
from switchyard.workers.db.models import Session
from switchyard.workers.domain import events as ev
from switchyard.workers.domain.common import required, to_ms
from switchyard.workers.domain.context import Deps
from switchyard.workers.domain.public.access import find_session, writer_scope
from switchyard.workers.domain.public.models import PromptResult, StopResult, public_status
from switchyard.workers.domain.sessions import fsm
from switchyard.workers.domain.sessions import repository as repo
from switchyard.workers.domain.sessions.claims import enqueue, promote
from switchyard.workers.domain.sessions.inbox import INBOX_TTL_SECONDS

# Reference §3: a prompted session goes back to the queue at priority 2.
PROMPT_PRIORITY = 2
STOP_SIGNAL = "Stop signal received"
# How a prompt reached the session (the prompt activity's type).
REQUEUED, REPRIORITIZED, DIRECTIVE = "requeued", "reprioritized", "directive"


def _reset(row: Session, prompt: str, now: datetime) -> None:
    # A new run of the same session: the claim, the outcome and the arrival time start over; cost and
    # provider session stay so the agent can resume and the totals keep adding up.
    row.status = fsm.PENDING
    row.prompt = prompt
    row.priority = PROMPT_PRIORITY
    row.worker_id = None
    row.claimed_at = None
    row.finished_at = None
    row.error_message = ""
    row.queued_at = now
    row.reset_count = (row.reset_count or 0) + 1


def _apply_prompt(row: Session, prompt: str, now: datetime) -> str:
    row.updated_at = now
    if row.status in fsm.TERMINAL:
        _reset(row, prompt, now)
        return REQUEUED
    if row.status == fsm.PENDING:
        row.prompt = prompt
        row.priority = PROMPT_PRIORITY
        return REPRIORITIZED
    return DIRECTIVE


def _inbox_fields(type_: str, payload: dict[str, str], principal: Principal, now: datetime) -> dict[str, str]:
    return {
        "type": type_,
        "payload": json.dumps(payload),
        "user_id": principal.user_id,
        "user_name": "",
        "created_at": str(to_ms(now)),
    }


class PublicControlService:
    """SendSessionPrompt and StopPublicSession."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def prompt(self, *, principal: Principal, ref: str, prompt: str) -> PromptResult:
        """Re-queue a terminal session, re-prioritise a pending one, or send an active one a directive."""
        scope = writer_scope(principal)
        text = required(prompt, field="prompt", max_len=200_000)
        prompt_id = str(uuid.uuid4())
        now = self._d.clock()
        async with self._d.sessions() as s, s.begin():
            row = await find_session(s, scope=scope, ref=ref, lock=True)
            before, holder = row.status, row.worker_id or ""
            mode = _apply_prompt(row, text, now)
            if mode == REQUEUED:
                await self._d.events.add(s, self._changed(row, before, holder, now))
            data = {"promptId": prompt_id, "userId": principal.user_id, "previousStatus": before}
            repo.add_activity(
                s, row=row, worker_id="", kind="prompt", now=now, type=mode, content=text, data=data
            )
        if mode == DIRECTIVE:
            payload = {"prompt": text, "text": text, "promptId": prompt_id}
            fields = _inbox_fields("directive", payload, principal, now)
            await self._d.inbox.add(row.id, "normal", fields, ttl_seconds=INBOX_TTL_SECONDS)
        else:
            if holder and mode == REQUEUED:
                # A stopped session may still sit in its old worker's set, waiting for the stop to be read.
                await self._d.fleet.let_go(holder, row.id)
            # Queued when its issue is free (or already its own), parked behind the issue's holder otherwise.
            await enqueue(self._d, row)
        return PromptResult(prompt_id=prompt_id, session_id=row.id, session_status=public_status(row.status))

    async def stop(self, *, principal: Principal, ref: str) -> StopResult:
        """Stop a live session and release what it holds; a terminal one is left as it is."""
        scope = writer_scope(principal)
        now = self._d.clock()
        async with self._d.sessions() as s, s.begin():
            row = await find_session(s, scope=scope, ref=ref, lock=True)
            before, holder = row.status, row.worker_id or ""
            if before in fsm.TERMINAL:
                return StopResult(False, row.id, public_status(before), public_status(before))
            row.status = fsm.STOPPED
            row.finished_at = now
            row.updated_at = now
            await self._d.events.add(s, self._changed(row, before, holder, now))
            data = {"userId": principal.user_id, "previousStatus": before}
            repo.add_activity(
                s, row=row, worker_id="", kind="stop", now=now, type="stop", content=STOP_SIGNAL, data=data
            )
        if holder:
            fields = _inbox_fields("stop", {"reason": STOP_SIGNAL}, principal, now)
            await self._d.inbox.add(row.id, "urgent", fields, ttl_seconds=INBOX_TTL_SECONDS)
        await self._release(row)
        return StopResult(True, row.id, public_status(before), public_status(fsm.STOPPED))

    async def _release(self, row: Session) -> None:
        # The terminal side effects, except that the worker keeps the session in its set: poll reads inboxes
        # only of held sessions, so this is how the stop message reaches it. The worker lets go when it
        # posts its own terminal status or ACKs the message.
        await self._d.queue.remove(row.org_id, row.id)
        await self._d.locks.release(row.org_id, row.issue_id, row.id)
        await self._d.files.release_all(row.id)
        await promote(self._d, org_id=row.org_id, issue_id=row.issue_id)

    @staticmethod
    def _changed(row: Session, before: str, holder: str, now: datetime) -> ev.SessionStatusChanged:
        return ev.SessionStatusChanged(
            session_id=row.id,
            org_id=row.org_id,
            worker_id=holder,
            from_status=before,
            to_status=row.status,
            total_cost_usd=row.total_cost_usd,
            error_message=row.error_message,
            occurred_at=now,
        )
