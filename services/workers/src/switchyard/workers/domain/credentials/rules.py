"""Validation of credential requests and who may do what with credentials (no I/O)."""

from __future__ import annotations

import re

from switchyard.grpckit.errors import InvalidArgument, PermissionDenied
from switchyard.grpckit.principal import ADMIN_KEY, ORG_KEY, SERVICE, USER, WORKER, Principal
from switchyard.workers.domain.common import ALL_PROJECTS, optional, required

DEFAULT_ENV = "production"
MAX_VALUE_BYTES = 64 * 1024
# Reference §8: variables of the daemon itself. An agent must never receive them, so they can be neither
# stored nor served (compared case-insensitively: some platforms treat env names that way).
BLOCKED_NAMES = frozenset(
    {
        "DONMAI_DAEMON_JWT",
        "DONMAI_DAEMON_API_KEY",
        "M2M_JWT_SECRET",
        "AUDIT_SIGNING_KEY_PRIVATE",
        "AUDIT_SIGNING_KEY_PUBLIC",
        "WORKOS_API_KEY",
        "WORKOS_COOKIE_PASSWORD",
        "DONMAI_RUNTIME_JWT",
        "WORKER_API_KEY",
        "DONMAI_DAEMON_TOKEN",
        "DONMAI_ORCHESTRATOR_URL",
        "DONMAI_CREDENTIAL_CAPABILITY",
    }
)
ORG_MISMATCH = "orgId does not match the authenticated organization"
_ADMIN_ROLES = ("owner", "admin")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_KIND = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_ENV = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def is_blocked(name: str) -> bool:
    """True for a daemon-internal variable name."""
    return name.upper() in BLOCKED_NAMES


def name_of(value: str) -> str:
    """A valid, storable environment variable name."""
    name = required(value, field="name", max_len=128)
    if not _NAME.match(name):
        raise InvalidArgument(
            "name must be an environment variable name (letters, digits, _; not a digit first)"
        )
    if is_blocked(name):
        raise InvalidArgument(f"name {name} is reserved for the daemon and cannot be stored")
    return name


def kind_of(value: str) -> str:
    """A lowercase slug such as ``github`` or ``anthropic``."""
    kind = required(value, field="kind", max_len=64)
    if not _KIND.match(kind):
        raise InvalidArgument("kind must be a lowercase slug (a-z, 0-9, - or _)")
    return kind


def env_of(value: str) -> str:
    """The environment name; empty means production."""
    env = optional(value, field="envName", max_len=64) or DEFAULT_ENV
    if not _ENV.match(env):
        raise InvalidArgument("envName may contain only letters, digits, '.', '-' and '_'")
    return env


def project_of(value: str) -> str:
    """A project id, or empty for org-wide."""
    return optional(value, field="projectId", max_len=255)


def secret_of(value: str) -> str:
    """A non-empty value of at most 64 KiB (UTF-8). Never echoed in a message."""
    if not value:
        raise InvalidArgument("value is required")
    if len(value.encode()) > MAX_VALUE_BYTES:
        raise InvalidArgument(f"value must be at most {MAX_VALUE_BYTES} bytes")
    return value


def optional_session(value: str) -> str:
    """The subscriber's or requester's agent session id (may be empty)."""
    return optional(value, field="sessionId", max_len=255)


def same_org(principal: Principal, org_id: str) -> str:
    """``orgId`` (required) must be the caller's org; it is returned trimmed."""
    org = required(org_id, field="orgId", max_len=255)
    if not principal.tenant_id or org != principal.tenant_id:
        raise PermissionDenied(ORG_MISMATCH)
    return org


def _is_admin_user(principal: Principal) -> bool:
    return principal.kind in (USER, ADMIN_KEY) and principal.role in _ADMIN_ROLES


def require_manager(principal: Principal) -> str:
    """The org of an org admin or owner, or of an org key holding ``*``."""
    if principal.tenant_id and (
        _is_admin_user(principal) or (principal.kind == ORG_KEY and "*" in principal.scopes)
    ):
        return principal.tenant_id
    raise PermissionDenied("managing credentials needs an org admin or owner, or an org key with the * scope")


def require_rotator(principal: Principal) -> str:
    """The org of an org admin or owner, or of any org key (only the org must match)."""
    if principal.tenant_id and (_is_admin_user(principal) or principal.kind == ORG_KEY):
        return principal.tenant_id
    raise PermissionDenied("rotating credentials needs an org admin or owner, or an org key")


def require_reader(principal: Principal) -> str:
    """The org of a daemon (org key or runtime JWT), an org admin or owner, or a service acting for an org."""
    allowed = principal.kind in (ORG_KEY, WORKER, SERVICE) or _is_admin_user(principal)
    if principal.tenant_id and allowed:
        return principal.tenant_id
    raise PermissionDenied("reading credentials needs an org key, a worker runtime token or an org admin")


def check_project(principal: Principal, project_id: str) -> None:
    """A project-scoped key or worker may only read its own projects' values."""
    scope = principal.project_ids
    if principal.kind not in (ORG_KEY, WORKER) or not scope or ALL_PROJECTS in scope:
        return
    if project_id and project_id not in scope:
        raise PermissionDenied("the token is not allowed for this project")


def actor(principal: Principal) -> tuple[str, str]:
    """``(kind, id)`` of the caller for audit events."""
    who = principal.worker_id if principal.kind == WORKER else principal.user_id or principal.token_id
    return principal.kind, who
