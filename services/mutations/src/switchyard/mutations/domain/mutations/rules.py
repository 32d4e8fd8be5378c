"""Pure rules: who may queue mutations, which ops exist and what parameters each takes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from switchyard.grpckit.errors import InvalidArgument, PermissionDenied
from switchyard.grpckit.principal import M2M, ORG_KEY, SERVICE, USER, WORKER, Principal

LIST_DEFAULT = 100
LIST_MAX = 500
FAILURE_MAX = 2000
ADMIN_ROLES = ("owner", "admin")
POOL_DELETED = "pool.deleted"


@dataclass(frozen=True, slots=True)
class Actor:
    """The org a caller acts in and how its mutations record who asked."""

    org_id: str
    requested_by: str


def _required(params: Mapping[str, Any], name: str) -> None:
    value = params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(f"params.{name} is required and must be a non-empty string")


def _optional_string(params: Mapping[str, Any], name: str) -> None:
    if name in params and params[name] is not None and not isinstance(params[name], str):
        raise InvalidArgument(f"params.{name} must be a string")


def _optional_string_list(params: Mapping[str, Any], name: str) -> None:
    value = params.get(name)
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InvalidArgument(f"params.{name} must be a list of non-empty strings")


def _project(params: Mapping[str, Any]) -> None:
    _required(params, "id")


def _project_add(params: Mapping[str, Any]) -> None:
    _required(params, "id")
    _required(params, "repository")


def _pool_deleted(params: Mapping[str, Any]) -> None:
    _required(params, "poolId")
    _optional_string_list(params, "candidatePoolIds")
    _optional_string(params, "reason")


def _model_access_set(params: Mapping[str, Any]) -> None:
    _optional_string(params, "workload")
    policy = params.get("policy")
    if not isinstance(policy, dict):
        raise InvalidArgument("params.policy is required and must be an object")
    if not isinstance(policy.get("matrix"), dict):
        raise InvalidArgument("params.policy.matrix is required and must be an object")
    if policy.get("authOrder") is not None and not isinstance(policy["authOrder"], list):
        raise InvalidArgument("params.policy.authOrder must be a list")


def _model_access_clear(params: Mapping[str, Any]) -> None:
    _optional_string(params, "workload")


def _session(params: Mapping[str, Any]) -> None:
    _required(params, "sessionId")


def _session_kill(params: Mapping[str, Any]) -> None:
    _required(params, "sessionId")
    _optional_string(params, "reason")


# The seed's five ops plus the ones the Go daemon also understands.
VALIDATORS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "project.add": _project_add,
    "project.remove": _project,
    "project.enable": _project,
    "project.disable": _project,
    POOL_DELETED: _pool_deleted,
    "modelAccess.set": _model_access_set,
    "modelAccess.clear": _model_access_clear,
    "session.kill": _session_kill,
    "session.wake": _session,
    "session.restart-harness": _session,
}


def validate_mutation(*, worker_host_id: str, op: str, params: Mapping[str, Any]) -> None:
    """Check the host id, the op and the op's parameters, naming the first bad field."""
    if not worker_host_id.strip():
        raise InvalidArgument("workerHostId is required")
    if not op:
        raise InvalidArgument("op is required")
    validator = VALIDATORS.get(op)
    if validator is None:
        raise InvalidArgument(f"op must be one of: {', '.join(VALIDATORS)}")
    validator(params)


def list_limit(limit: int) -> int:
    """The page size: 0 (unset) means the default; otherwise 1..500."""
    if limit == 0:
        return LIST_DEFAULT
    if not 1 <= limit <= LIST_MAX:
        raise InvalidArgument(f"limit must be between 1 and {LIST_MAX}")
    return limit


def admin_actor(principal: Principal) -> Actor:
    """The actor for enqueue and cancel: an org admin or owner, or an org-wide key or M2M token (``*``)."""
    if principal.kind == USER:
        org = principal.require_tenant()
        if principal.role not in ADMIN_ROLES:
            raise PermissionDenied("requires org admin or owner role")
        return Actor(org_id=org, requested_by=principal.user_id)
    if principal.kind in (ORG_KEY, M2M):
        org = principal.require_tenant()
        if "*" not in principal.scopes:
            raise PermissionDenied("requires org admin or owner role (an API key with scope *)")
        # An org key is named by its key id; an M2M token by its client (``sub``), which outlives the token.
        if principal.kind == ORG_KEY:
            return Actor(org_id=org, requested_by=f"key:{principal.token_id}")
        return Actor(org_id=org, requested_by=f"m2m:{principal.user_id or principal.token_id}")
    raise PermissionDenied("requires org admin or owner role")


def reader_org(principal: Principal) -> str:
    """The org whose history the caller may read: any member, org key or M2M token of it."""
    if principal.kind not in (USER, ORG_KEY, M2M, SERVICE):
        raise PermissionDenied("not allowed to read daemon mutations")
    return principal.require_tenant()


def heartbeat_scope(principal: Principal, worker_host_id: str) -> str:
    """The org filter for a heartbeat ("" for a service): the worker itself, or a service on its behalf."""
    if not worker_host_id:
        raise InvalidArgument("workerHostId is required")
    if principal.kind == SERVICE:
        return principal.tenant_id
    if principal.kind == WORKER and principal.worker_id == worker_host_id:
        return principal.require_tenant()
    raise PermissionDenied("a worker may only heartbeat as itself")


def failure_text(error: str) -> str:
    """The stored failure message: trimmed, capped, never empty."""
    text = (error or "").strip()[:FAILURE_MAX]
    return text or "unspecified failure"


def host_status_from(op: str, params: Mapping[str, Any]) -> tuple[str, tuple[str, ...]] | None:
    """The pool status a delivered, unacknowledged mutation implies (only ``pool.deleted`` has one)."""
    if op != POOL_DELETED:
        return None
    candidates = params.get("candidatePoolIds") or []
    return "pool_deleted", tuple(str(c) for c in candidates)
