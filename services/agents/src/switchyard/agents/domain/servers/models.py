"""Server views: the stored row, the latest heartbeat snapshot, and probe results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ServerView:
    """One stored server."""

    id: str
    org_id: str
    name: str
    hostname: str
    machine_id: str
    status: str
    agent_version: str
    created_at: datetime
    enrolled_at: datetime
    last_heartbeat_at: datetime | None


@dataclass(frozen=True, slots=True)
class PresenceView:
    """The latest heartbeat snapshot of a server (kept with a TTL; absent once it expires)."""

    last_heartbeat_at: datetime
    agent_version: str = ""
    docker_reachable: bool = False
    cpu_percent: float = 0.0
    memory_used_mb: int = 0
    memory_total_mb: int = 0
    disk_used_mb: int = 0
    disk_total_mb: int = 0
    uptime_seconds: int = 0
    os_info: str = ""
    arch: str = ""


@dataclass(frozen=True, slots=True)
class ServerState:
    """A server with what is live about it right now."""

    server: ServerView
    presence: PresenceView | None
    stream_connected: bool

    @property
    def online(self) -> bool:
        """True while a heartbeat is younger than the presence TTL."""
        return self.presence is not None


@dataclass(frozen=True, slots=True)
class StatusReport:
    """GetServerStatus: the stored view merged with the AGENT_STATUS probe."""

    state: ServerState
    live_status_json: str = ""
    live_probe_error: str = ""
    clock_skew_ms: int = 0


@dataclass(frozen=True, slots=True)
class PingResult:
    """An AGENT_PING round trip."""

    rtt_ms: float
    clock_skew_ms: int
    agent_version: str
    command_id: str


@dataclass(frozen=True, slots=True)
class AgentLogs:
    """AGENT_LOGS output."""

    text: str
    lines: int
    command_id: str


@dataclass(frozen=True, slots=True)
class RestartQueued:
    """RestartAgent's answer."""

    command_id: str
    estimated_reconnect_seconds: int = 5
