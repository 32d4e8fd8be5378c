"""Request bodies exactly as the Go daemon sends them (reference §8)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from switchyard.donmai._allowlist import Allowlist
from switchyard.donmai._config import DaemonConfig

HostState = Literal["idle", "busy", "draining", ""]
SessionOutcome = Literal["completed", "failed", "stopped"]


def register_body(config: DaemonConfig, allowlist: Allowlist) -> dict[str, Any]:
    """``POST /api/workers/register``: hostname, capacity, version, machine id, projects and admission."""
    body: dict[str, Any] = {
        "hostname": config.hostname,
        "capacity": config.max_sessions,
        "version": config.version,
        "projects": sorted(allowlist.projects),
        "projectIds": sorted(allowlist.enabled),
        "projectAdmissionMode": allowlist.mode,
    }
    if config.machine_id:
        body["machineId"] = config.machine_id
    if config.capabilities:
        body["capabilities"] = list(config.capabilities)
    if config.region:
        body["region"] = config.region
    return body


def host_state(*, active: int, draining: bool) -> HostState:
    """The heartbeat ``status``: draining wins, then busy while any session runs, else idle."""
    if draining:
        return "draining"
    return "busy" if active > 0 else "idle"


def heartbeat_body(
    *,
    status: HostState,
    active_count: int,
    max_sessions: int,
    allowlist_fields: Mapping[str, Any],
    applied: Sequence[str] = (),
    failures: Sequence[Mapping[str, str]] = (),
    load: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """``POST /api/workers/{id}/heartbeat``.

    ``status`` is left out when empty, ``load`` when unknown, and the two ACK lists when there is
    nothing to acknowledge (Go's ``omitempty``). No ``region``: the daemon never sends it here.
    """
    body: dict[str, Any] = {}
    if status:
        body["status"] = status
    body["activeCount"] = active_count
    body["maxSessions"] = max_sessions
    if load is not None:
        body["load"] = dict(load)
    body.update(allowlist_fields)
    if applied:
        body["appliedMutations"] = list(applied)
    if failures:
        body["mutationFailures"] = [dict(f) for f in failures]
    return body


def nack_body(*, worker_id: str, work: Mapping[str, Any], reason: str) -> dict[str, Any]:
    """``POST /api/sessions/{id}/nack``: the whole work item goes back so it keeps its priority."""
    return {"workerId": worker_id, "reason": reason, "work": dict(work)}


def synthesize_summary(work: Mapping[str, Any], status: SessionOutcome, error: str | None) -> str:
    """The completion summary used when the agent produced none (the server refuses an empty one)."""
    subject = work.get("issueIdentifier") or work.get("issueId") or work.get("sessionId") or "session"
    text = f"Agent session for {subject} ended: {status}."
    return f"{text} {error}" if error else text


def status_body(
    *,
    worker_id: str,
    status: str,
    error: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``POST /api/sessions/{id}/status``; ``extra``: providerSessionId, worktreePath, costs, tokens."""
    body: dict[str, Any] = {"workerId": worker_id, "status": status}
    body.update({k: v for k, v in (extra or {}).items() if v is not None})
    if error:
        body["error"] = {"message": error}
    return body
