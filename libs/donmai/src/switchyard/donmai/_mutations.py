"""Applying the daemon-config mutations a heartbeat delivers, and the ACKs that go on the next beat."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from switchyard.donmai._allowlist import Allowlist, Project

# The workloads a model-access policy may name ("" is the machine default); others are refused.
DEFAULT_WORKLOADS = frozenset({"", "coding", "review", "research", "qa", "planning"})

KillSession = Callable[[str, str], None]


class MutationRejected(Exception):
    """A mutation the daemon cannot apply; its message becomes the failure ACK's ``error``."""


@dataclass
class HostConfig:
    """The daemon configuration mutations act on."""

    allowlist: Allowlist
    workloads: frozenset[str] = DEFAULT_WORKLOADS
    model_access: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted_pools: dict[str, dict[str, Any]] = field(default_factory=dict)


def _text(params: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = params.get(key, "")
    if not isinstance(value, str) or (required and not value):
        raise MutationRejected(f"params.{key} must be a non-empty string")
    return value


def _project_add(config: HostConfig, params: Mapping[str, Any], _kill: KillSession | None) -> None:
    config.allowlist.add(Project(_text(params, "id"), _text(params, "repository", required=False)))


def _project_remove(config: HostConfig, params: Mapping[str, Any], _kill: KillSession | None) -> None:
    config.allowlist.remove(_text(params, "id"))


def _project_enable(config: HostConfig, params: Mapping[str, Any], _kill: KillSession | None) -> None:
    project_id = _text(params, "id")
    if not config.allowlist.enable(project_id):
        raise MutationRejected(f"project {project_id} is not in the allowlist")


def _project_disable(config: HostConfig, params: Mapping[str, Any], _kill: KillSession | None) -> None:
    config.allowlist.disable(_text(params, "id"))


def _pool_deleted(config: HostConfig, params: Mapping[str, Any], _kill: KillSession | None) -> None:
    # Dispatch is suspended by the hostStatus the same response carries, not by this record.
    config.deleted_pools[_text(params, "poolId")] = dict(params)


def _workload(config: HostConfig, params: Mapping[str, Any]) -> str:
    workload = _text(params, "workload", required=False)
    if workload not in config.workloads:
        raise MutationRejected(f"unknown workload {workload!r}")
    return workload


def _model_access_set(config: HostConfig, params: Mapping[str, Any], _kill: KillSession | None) -> None:
    workload = _workload(config, params)
    policy = params.get("policy")
    if not isinstance(policy, Mapping) or "matrix" not in policy:
        raise MutationRejected("params.policy must be an object with a matrix")
    config.model_access[workload] = dict(policy)


def _model_access_clear(config: HostConfig, params: Mapping[str, Any], _kill: KillSession | None) -> None:
    workload = _text(params, "workload", required=False)
    if workload == "":
        config.model_access.clear()  # "" clears the whole block
    else:
        config.model_access.pop(workload, None)


def _session_kill(config: HostConfig, params: Mapping[str, Any], kill: KillSession | None) -> None:
    session_id = _text(params, "sessionId")
    reason = params.get("reason")
    if kill is not None:
        kill(session_id, reason if isinstance(reason, str) else "killed by mutation")


Handler = Callable[[HostConfig, Mapping[str, Any], KillSession | None], None]

HANDLERS: dict[str, Handler] = {
    "project.add": _project_add,
    "project.remove": _project_remove,
    "project.enable": _project_enable,
    "project.disable": _project_disable,
    "pool.deleted": _pool_deleted,
    "modelAccess.set": _model_access_set,
    "modelAccess.clear": _model_access_clear,
    "session.kill": _session_kill,
}


def apply_mutation(
    config: HostConfig, mutation: Mapping[str, Any], *, kill: KillSession | None = None
) -> str | None:
    """Apply one delivered mutation; every op is idempotent.

    Args:
        config: The host configuration to change.
        mutation: ``{id, op, params, requestedAt, requestedBy}`` from ``pendingMutations``.
        kill: Stops a live session (``session.kill``).

    Returns:
        None when applied, else the error text of its failure ACK (unknown op, bad params).
    """
    handler = HANDLERS.get(str(mutation.get("op")))
    if handler is None:
        return f"unknown op {mutation.get('op')!r}"
    params = mutation.get("params")
    try:
        handler(config, params if isinstance(params, Mapping) else {}, kill)
    except MutationRejected as rejected:
        return str(rejected)
    return None


class AckBook:
    """Mutation outcomes waiting for the next beat; given back if that beat does not get through."""

    def __init__(self) -> None:
        """No outcomes yet."""
        self.applied: list[str] = []
        self.failures: list[dict[str, str]] = []

    def record(self, mutation_id: str, error: str | None) -> None:
        """Remember an outcome once, even if the server re-sends the mutation before the ACK lands."""
        self.forget(mutation_id)
        if error is None:
            self.applied.append(mutation_id)
        else:
            self.failures.append({"id": mutation_id, "error": error})

    def forget(self, mutation_id: str) -> None:
        """Drop any outcome recorded for ``mutation_id``."""
        self.applied = [i for i in self.applied if i != mutation_id]
        self.failures = [f for f in self.failures if f["id"] != mutation_id]

    def take(self) -> tuple[list[str], list[dict[str, str]]]:
        """Everything to ACK on the beat being sent now."""
        taken = (self.applied, self.failures)
        self.applied, self.failures = [], []
        return taken

    def give_back(self, applied: Iterable[str], failures: Iterable[dict[str, str]]) -> None:
        """Outcomes of a beat that failed: ACK them on the following one (newer outcomes win)."""
        pending = {i for i in self.applied} | {f["id"] for f in self.failures}
        self.applied = [i for i in applied if i not in pending] + self.applied
        self.failures = [f for f in failures if f["id"] not in pending] + self.failures

    def clear(self) -> None:
        """Forget everything (the outcomes belonged to a worker id that no longer exists)."""
        self.applied, self.failures = [], []
