"""Validated inputs of registration and heartbeat (built by the servicer from the wire)."""

from __future__ import annotations

from dataclasses import dataclass, field

from switchyard.grpckit.errors import InvalidArgument
from switchyard.workers.domain.common import optional, required, worker_status

MAX_CAPACITY = 1000
MAX_LIST = 200


@dataclass(frozen=True, slots=True)
class Registration:
    """The host a registration describes."""

    hostname: str
    capacity: int
    version: str = ""
    machine_id: str = ""
    region: str = ""
    capabilities: list[str] = field(default_factory=list)
    project_ids: list[str] = field(default_factory=list)
    status: str = ""
    active_count: int = 0

    def validated(self) -> Registration:
        """A copy with trimmed fields, or InvalidArgument naming the bad one."""
        if not 1 <= self.capacity <= MAX_CAPACITY:
            raise InvalidArgument(f"capacity must be between 1 and {MAX_CAPACITY}")
        if self.active_count < 0:
            raise InvalidArgument("activeCount must not be negative")
        return Registration(
            hostname=required(self.hostname, field="hostname", max_len=255),
            capacity=self.capacity,
            version=optional(self.version, field="version", max_len=100),
            machine_id=optional(self.machine_id, field="machineId", max_len=255),
            region=optional(self.region, field="region", max_len=100),
            capabilities=bounded(self.capabilities, field="capabilities"),
            project_ids=bounded(self.project_ids, field="projectIds"),
            status=worker_status(self.status),
            active_count=self.active_count,
        )


def bounded(values: list[str], *, field: str) -> list[str]:
    """A list of short strings, at most ``MAX_LIST`` long."""
    if len(values) > MAX_LIST:
        raise InvalidArgument(f"{field} must have at most {MAX_LIST} entries")
    return [optional(v, field=field, max_len=255) for v in values]


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """One beat as the daemon sends it."""

    worker_id: str
    status: str = ""
    active_count: int = 0
    max_sessions: int = 0
    load_cpu: float | None = None
    load_memory: float | None = None
    allowlist_hash: str = ""
    enabled_project_ids: list[str] = field(default_factory=list)
    project_admission_mode: str = ""
    hostname: str = ""
    region: str = ""
    version: str = ""
    capabilities: list[str] = field(default_factory=list)
