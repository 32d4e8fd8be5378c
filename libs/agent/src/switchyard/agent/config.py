"""Agent settings: the real agent's env vars plus the paths this reference agent manages.

Values come from the process environment and, underneath it, an optional ``KEY=VALUE`` env file (the
installer writes ``/etc/switchyard-agent.env``). A variable set in the environment wins over the file,
so an operator can override one value for a single run without editing the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ENV_FILE = "/etc/switchyard-agent.env"
DEFAULT_STATE_DIR = "/var/lib/switchyard-agent"
DEFAULT_DWAARFILE = "/etc/dwaar/Dwaarfile"
DEFAULT_HEARTBEAT_SECONDS = 30
DEFAULT_VERSION = "0.1.0"
# CommandStream reconnect backoff (reference §1): 1 s, doubling, capped at 30 s.
DEFAULT_RECONNECT_BACKOFF_SECONDS = 1.0
DEFAULT_RECONNECT_BACKOFF_MAX_SECONDS = 30.0
_TRUE = frozenset({"true", "1"})


class ConfigError(ValueError):
    """A required setting is missing or a value cannot be parsed."""


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """Everything the agent needs, parsed once at start-up.

    Attributes:
        backend_addr: ``host:port`` of the control plane's AgentService (BACKEND_GRPC_ADDR).
        server_id: This server's id, sent as ``server-id`` metadata and in acks (SERVER_ID).
        agent_secret: The shared secret sent as ``authorization: Bearer`` (AGENT_SECRET). Never logged.
        insecure: Plaintext h2c instead of TLS with the system roots (AGENT_INSECURE=true|1).
        heartbeat_seconds: Interval until the server sets another one (AGENT_HEARTBEAT_SECONDS).
        version: Reported agent version (AGENT_VERSION).
        env_file: The env file read at start-up (SWITCHYARD_AGENT_ENV_FILE).
        state_dir: Log file, pid files and other state (SWITCHYARD_AGENT_STATE_DIR).
        apps_dir: Where the process driver keeps one folder per app (SWITCHYARD_AGENT_APPS_DIR).
        dwaarfile: The Dwaar config that DWAAR_CONFIG_PATCH rewrites (SWITCHYARD_AGENT_DWAARFILE).
        routes_dir: One route file per domain (SWITCHYARD_AGENT_ROUTES_DIR).
        reconnect_backoff_seconds: First CommandStream reconnect delay (AGENT_RECONNECT_BACKOFF_SECONDS).
        reconnect_backoff_max_seconds: Its cap (AGENT_RECONNECT_BACKOFF_MAX_SECONDS).
    """

    backend_addr: str
    server_id: str
    agent_secret: str
    insecure: bool = False
    heartbeat_seconds: int = DEFAULT_HEARTBEAT_SECONDS
    version: str = DEFAULT_VERSION
    env_file: Path = Path(DEFAULT_ENV_FILE)
    state_dir: Path = Path(DEFAULT_STATE_DIR)
    apps_dir: Path = Path(DEFAULT_STATE_DIR) / "apps"
    dwaarfile: Path = Path(DEFAULT_DWAARFILE)
    routes_dir: Path = Path(DEFAULT_DWAARFILE).parent / "apps"
    reconnect_backoff_seconds: float = DEFAULT_RECONNECT_BACKOFF_SECONDS
    reconnect_backoff_max_seconds: float = DEFAULT_RECONNECT_BACKOFF_MAX_SECONDS

    @property
    def log_file(self) -> Path:
        """The agent's own log file (AGENT_LOGS reads it back)."""
        return self.state_dir / "agent.log"

    def __repr__(self) -> str:
        # The secret must never reach a log line through a stray repr.
        return (
            f"AgentConfig(backend_addr={self.backend_addr!r}, server_id={self.server_id!r}, "
            f"insecure={self.insecure}, heartbeat_seconds={self.heartbeat_seconds}, version={self.version!r})"
        )


def read_env_file(path: Path) -> dict[str, str]:
    """Read ``KEY=VALUE`` lines; blank lines and ``#`` comments are skipped, quotes are stripped.

    Args:
        path: The env file. A missing file gives an empty mapping.

    Returns:
        The parsed values.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_config(environ: Mapping[str, str] | None = None) -> AgentConfig:
    """Build the config from the env file overlaid by the environment.

    Args:
        environ: The environment to read (defaults to ``os.environ``).

    Returns:
        The parsed config.

    Raises:
        ConfigError: BACKEND_GRPC_ADDR, SERVER_ID or AGENT_SECRET is missing, or a number is malformed.
    """
    env = dict(os.environ if environ is None else environ)
    env_file = Path(env.get("SWITCHYARD_AGENT_ENV_FILE") or DEFAULT_ENV_FILE)
    merged = {**read_env_file(env_file), **env}
    missing = [k for k in ("BACKEND_GRPC_ADDR", "SERVER_ID", "AGENT_SECRET") if not merged.get(k, "").strip()]
    if missing:
        raise ConfigError(f"missing required setting(s): {', '.join(missing)}")
    backoff = _positive_float(merged, "AGENT_RECONNECT_BACKOFF_SECONDS", DEFAULT_RECONNECT_BACKOFF_SECONDS)
    backoff_max = _positive_float(
        merged, "AGENT_RECONNECT_BACKOFF_MAX_SECONDS", max(backoff, DEFAULT_RECONNECT_BACKOFF_MAX_SECONDS)
    )
    if backoff_max < backoff:
        raise ConfigError(
            f"AGENT_RECONNECT_BACKOFF_MAX_SECONDS ({backoff_max:g}) is below "
            f"AGENT_RECONNECT_BACKOFF_SECONDS ({backoff:g})"
        )
    state_dir = Path(merged.get("SWITCHYARD_AGENT_STATE_DIR") or DEFAULT_STATE_DIR)
    dwaarfile = Path(merged.get("SWITCHYARD_AGENT_DWAARFILE") or DEFAULT_DWAARFILE)
    return AgentConfig(
        backend_addr=merged["BACKEND_GRPC_ADDR"].strip(),
        server_id=merged["SERVER_ID"].strip(),
        agent_secret=merged["AGENT_SECRET"].strip(),
        insecure=merged.get("AGENT_INSECURE", "").strip().lower() in _TRUE,
        heartbeat_seconds=_positive_int(merged, "AGENT_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS),
        version=merged.get("AGENT_VERSION", "").strip() or DEFAULT_VERSION,
        env_file=env_file,
        state_dir=state_dir,
        apps_dir=Path(merged.get("SWITCHYARD_AGENT_APPS_DIR") or state_dir / "apps"),
        dwaarfile=dwaarfile,
        routes_dir=Path(merged.get("SWITCHYARD_AGENT_ROUTES_DIR") or dwaarfile.parent / "apps"),
        reconnect_backoff_seconds=backoff,
        reconnect_backoff_max_seconds=backoff_max,
    )


def _positive_int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{key} must be an integer, got {raw!r}") from exc
    if value <= 0:
        raise ConfigError(f"{key} must be positive, got {value}")
    return value


def _positive_float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{key} must be a number of seconds, got {raw!r}") from exc
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{key} must be a positive number of seconds, got {raw!r}")
    return value
