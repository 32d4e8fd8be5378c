"""The collaborators every domain service gets from the composition root, and who may call what."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.grpckit.errors import InvalidArgument, NotFound, PermissionDenied
from switchyard.grpckit.principal import ORG_KEY, SERVICE, USER, WORKER, Principal
from switchyard.workers.domain.common import Clock
from switchyard.workers.domain.ports import (
    EventSink,
    FileLocks,
    Fleet,
    Inbox,
    IssueLocks,
    MutationFlags,
    RotationFeed,
    WatcherRegistry,
    WorkQueue,
)
from switchyard.workers.domain.tokens.issuer import RuntimeTokenIssuer

REGISTER_SCOPE = "worker:register"


@dataclass(frozen=True, slots=True)
class Policy:
    """Timings from the settings, in the units the domain uses."""

    worker_ttl_seconds: int
    stale_after_seconds: int
    heartbeat_interval_ms: int
    poll_interval_ms: int
    issue_lock_ttl_seconds: int
    # The routing kill switch: off answers every selection with source "disabled".
    routing_enabled: bool = False
    # Credential rotation watchers: keep-alive frame interval, registry renewal interval, registry expiry.
    watch_keepalive_seconds: float = 15.0
    watch_refresh_seconds: float = 10.0
    watch_ttl_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class Deps:
    """Database sessions, Redis-backed ports, the clock and the token issuer; one per running server."""

    sessions: async_sessionmaker[AsyncSession]
    # Autocommit sessions for single-query reads on hot paths (no BEGIN/ROLLBACK round trips).
    reads: async_sessionmaker[AsyncSession]
    clock: Clock
    tokens: RuntimeTokenIssuer
    events: EventSink
    fleet: Fleet
    queue: WorkQueue
    locks: IssueLocks
    inbox: Inbox
    files: FileLocks
    flags: MutationFlags
    policy: Policy
    kek: bytes
    rotations: RotationFeed
    watchers: WatcherRegistry


def require_service(principal: Principal) -> None:
    """Only the gateway or another service may call this."""
    if principal.kind != SERVICE:
        raise PermissionDenied("only services may call this method")


def require_registrar(principal: Principal) -> str:
    """The org of an org key holding ``worker:register`` (or ``*``)."""
    if principal.kind != ORG_KEY or not principal.tenant_id:
        raise PermissionDenied("a registration token (org key) is required")
    if not principal.has_scope(REGISTER_SCOPE):
        raise PermissionDenied("the key lacks the worker:register scope")
    return principal.tenant_id


def require_worker(principal: Principal, worker_id: str) -> str:
    """The calling worker's id; ``worker_id`` (when given) must be the runtime token's ``sub``."""
    if principal.kind != WORKER or not principal.worker_id:
        raise PermissionDenied("a worker runtime token is required")
    if worker_id and worker_id != principal.worker_id:
        raise PermissionDenied("worker id does not match the runtime token")
    return principal.worker_id


def require_worker_id(worker_id: str) -> str:
    """``workerId`` must be present in the body (the wire contract names it required)."""
    if not (worker_id or "").strip():
        raise InvalidArgument("workerId is required")
    return worker_id.strip()


def require_queue_writer(principal: Principal) -> str:
    """The org of an org admin/owner, an org key, or a service acting for an org."""
    org = principal.tenant_id
    if not org:
        raise PermissionDenied("a tenant is required")
    if principal.kind == USER and principal.role in ("owner", "admin"):
        return org
    if principal.kind in (ORG_KEY, SERVICE):
        return org
    raise PermissionDenied("only an org admin or owner, or an org key, may queue work")


def check_org(principal: Principal, org_id: str, *, what: str = "Session") -> None:
    """Anything of another org does not exist for the caller; services see every org."""
    if principal.kind == SERVICE and not principal.tenant_id:
        return
    if principal.tenant_id != org_id:
        raise NotFound(f"{what} not found")
