"""Daemon configuration (the parts of ``daemon.yaml`` and the env the protocol depends on)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from switchyard.donmai._allowlist import AdmissionMode, Project
from switchyard.donmai._mutations import DEFAULT_WORKLOADS
from switchyard.donmai._timing import Timings

DAEMON_VERSION = "0.72.0"
TOKEN_PREFIXES = ("rsp_live_", "rsk_live_")


@dataclass(frozen=True)
class DaemonConfig:
    """What a daemon needs to join an orchestrator.

    Attributes:
        orchestrator_url: ``DONMAI_ORCHESTRATOR_URL`` (scheme and host, no trailing path).
        registration_token: ``DONMAI_DAEMON_TOKEN``: an ``rsk_live_`` org key or ``rsp_live_`` token.
        hostname: Reported at registration.
        state_dir: ``DONMAI_STATE_HOME``: where ``daemon.jwt`` is cached.
        max_sessions: ``capacity.maxConcurrentSessions``.
        version: Daemon version (registration body and ``User-Agent: rensei-daemon/<version>``).
        machine_id: ``machine.id``; sent at registration when set.
        region: ``machine.region``; sent at registration only (never on heartbeats).
        capabilities: Registration capabilities (e.g. ``code-survival-scan``).
        projects: The allowlist (``repositories`` / legacy ``projects``).
        enabled_project_ids: Enabled subset of ``projects`` (all when None).
        admission_mode: ``enumerated`` or ``all-routed``.
        workloads: Model-access workload keys this daemon knows (others fail ``modelAccess.set``).
        timings: Timeouts, intervals and backoff.
    """

    orchestrator_url: str
    registration_token: str
    hostname: str
    state_dir: Path
    max_sessions: int = 1
    version: str = DAEMON_VERSION
    machine_id: str | None = None
    region: str | None = None
    capabilities: tuple[str, ...] = ()
    projects: tuple[Project, ...] = ()
    enabled_project_ids: tuple[str, ...] | None = None
    admission_mode: AdmissionMode = "enumerated"
    workloads: frozenset[str] = DEFAULT_WORKLOADS
    timings: Timings = field(default_factory=Timings)

    def __post_init__(self) -> None:
        """Refuse what the real daemon would not send to an orchestrator."""
        if not self.registration_token.startswith(TOKEN_PREFIXES):
            # The Go daemon silently falls back to a local stub here; this client has none.
            raise ValueError("registration_token must start with rsp_live_ or rsk_live_")
        if self.max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")

    @property
    def base_url(self) -> str:
        """The orchestrator URL without a trailing slash."""
        return self.orchestrator_url.rstrip("/")

    @property
    def user_agent(self) -> str:
        """``rensei-daemon/<version>``."""
        return f"rensei-daemon/{self.version}"
