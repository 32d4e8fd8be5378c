"""Results of the fleet service."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from switchyard.workers.domain.ports import Presence

WORKER_ID_PREFIX = "wkr_"


def new_worker_id() -> str:
    """``wkr_`` + 16 hex characters."""
    return WORKER_ID_PREFIX + secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class Credentials:
    """A worker id with a runtime JWT and the intervals the daemon should keep."""

    worker_id: str
    runtime_token: str
    expires_at: datetime
    heartbeat_interval_ms: int
    poll_interval_ms: int


@dataclass(frozen=True, slots=True)
class WorkerView:
    """A live worker and whether it has gone quiet."""

    presence: Presence
    stale: bool


@dataclass(frozen=True, slots=True)
class BeatResult:
    """What a heartbeat answers."""

    server_time: datetime
    pending_work_count: int
    mutations_pending: bool = False


@dataclass(frozen=True, slots=True)
class Jwks:
    """The public keys plus the issuer and audience every runtime JWT carries."""

    keys: list[dict[str, str]]
    issuer: str
    audience: str
