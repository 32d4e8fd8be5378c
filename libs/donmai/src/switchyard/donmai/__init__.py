"""A protocol-faithful Donmai daemon client: the worker protocol as the Go daemon speaks it (reference §8).

Boot from the cached ``daemon.jwt`` or register; heartbeat with mutation ACKs; poll, dispatch pre-claimed
work to session runners (lock-refresh pulser, activity, completion then status); recover credentials on
401/404 (refresh with the registration token, else re-register). Every interval and backoff is injectable.
"""

from switchyard.donmai._allowlist import Allowlist, AllowlistReporter, Project, normalize_repository
from switchyard.donmai._api import (
    REASON_EXPIRED,
    REASON_NOT_FOUND,
    REASON_UNAUTHORIZED,
    Orchestrator,
    recovery_reason,
)
from switchyard.donmai._config import DAEMON_VERSION, DaemonConfig
from switchyard.donmai._credentials import Credentials, CredentialStore, ProtocolError, parse_instant
from switchyard.donmai._daemon import Daemon
from switchyard.donmai._mutations import AckBook, HostConfig, apply_mutation
from switchyard.donmai._recovery import CredentialManager, RecoveryFailed
from switchyard.donmai._retry import send_with_retry
from switchyard.donmai._runner import AgentResult, SessionContext, SessionRunner
from switchyard.donmai._timing import RetryPolicy, Timings, interval_seconds
from switchyard.donmai._wire import heartbeat_body, nack_body, register_body, status_body, synthesize_summary

__all__ = [
    "DAEMON_VERSION",
    "REASON_EXPIRED",
    "REASON_NOT_FOUND",
    "REASON_UNAUTHORIZED",
    "AckBook",
    "AgentResult",
    "Allowlist",
    "AllowlistReporter",
    "CredentialManager",
    "CredentialStore",
    "Credentials",
    "Daemon",
    "DaemonConfig",
    "HostConfig",
    "Orchestrator",
    "Project",
    "ProtocolError",
    "RecoveryFailed",
    "RetryPolicy",
    "SessionContext",
    "SessionRunner",
    "Timings",
    "apply_mutation",
    "heartbeat_body",
    "interval_seconds",
    "nack_body",
    "normalize_repository",
    "parse_instant",
    "recovery_reason",
    "register_body",
    "send_with_retry",
    "status_body",
    "synthesize_summary",
]
