"""Read models of the mutations aggregate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PENDING = "pending"
DELIVERED = "delivered"
APPLIED = "applied"
FAILED = "failed"
CANCELLED = "cancelled"
STATUSES = (PENDING, DELIVERED, APPLIED, FAILED, CANCELLED)
# Rows a heartbeat still has to hand out or hear back about.
OPEN_STATUSES = (PENDING, DELIVERED)


@dataclass(frozen=True, slots=True)
class MutationView:
    """A mutation as stored."""

    id: str
    org_id: str
    worker_host_id: str
    op: str
    params: dict[str, Any]
    status: str
    requested_by: str
    created_at: datetime
    delivered_at: datetime | None = None
    cancelled_at: datetime | None = None
    applied_at: datetime | None = None
    failure: str | None = None


@dataclass(frozen=True, slots=True)
class FailureAck:
    """A daemon's report that it could not apply a mutation."""

    id: str
    error: str


@dataclass(frozen=True, slots=True)
class HostStatusView:
    """What the heartbeat tells the daemon about its pool."""

    status: str
    recommended_action: str = ""
    candidate_pool_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one heartbeat response carries: every delivered, unacknowledged mutation, oldest first."""

    pending: tuple[MutationView, ...] = ()
    host_status: HostStatusView | None = None
    # True when the answer came from PostgreSQL (False: the Redis marker said nothing is open).
    consulted_database: bool = field(default=False, compare=False)
