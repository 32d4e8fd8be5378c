"""Runtime credentials and their cache, ``daemon.jwt`` (mode 0600) in the state dir."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from switchyard.donmai._timing import DEFAULT_HEARTBEAT_SECONDS, DEFAULT_POLL_SECONDS, interval_seconds

CACHE_FILE = "daemon.jwt"


class ProtocolError(Exception):
    """The orchestrator answered 2xx with a body the daemon cannot use."""


def parse_instant(value: object) -> float | None:
    """An expiry as epoch seconds, from epoch ms/seconds (number or digits) or an ISO-8601 string.

    Servers differ here (the spec says ISO, some send epoch ms), so both are accepted; anything else
    means "unknown" and the proactive refresher stays idle.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                return None
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float):
        # Epoch milliseconds are 13 digits today; seconds are 10.
        return float(value) / 1000 if value > 1e11 else float(value)
    return None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Credentials:
    """What registration (or a refresh) gave the daemon.

    Attributes:
        worker_id: ``wkr_…``; every worker-protocol path carries it.
        runtime_token: The runtime JWT sent as Bearer.
        heartbeat_interval_ms: The server's heartbeat interval, milliseconds (None when not sent).
        poll_interval_ms: The server's poll interval, milliseconds (None when not sent).
        runtime_token_expires_at: Expiry as the server sent it (ISO string or epoch ms), or None.
        cached_at: When these were obtained, ISO-8601 UTC.
    """

    worker_id: str
    runtime_token: str
    heartbeat_interval_ms: float | None
    poll_interval_ms: float | None
    runtime_token_expires_at: str | float | None
    cached_at: str

    @property
    def heartbeat_seconds(self) -> int:
        """Heartbeat interval in whole seconds (default 30)."""
        return interval_seconds(self.heartbeat_interval_ms, DEFAULT_HEARTBEAT_SECONDS)

    @property
    def poll_seconds(self) -> int:
        """Poll interval in whole seconds (default 5)."""
        return interval_seconds(self.poll_interval_ms, DEFAULT_POLL_SECONDS)

    @property
    def expires_at(self) -> float | None:
        """Token expiry as epoch seconds, when known."""
        return parse_instant(self.runtime_token_expires_at)

    def to_cache(self) -> dict[str, Any]:
        """The ``daemon.jwt`` document."""
        return {
            "workerId": self.worker_id,
            "runtimeToken": self.runtime_token,
            "heartbeatInterval": self.heartbeat_interval_ms,
            "pollInterval": self.poll_interval_ms,
            "runtimeTokenExpiresAt": self.runtime_token_expires_at,
            "cachedAt": self.cached_at,
        }

    @classmethod
    def from_cache(cls, document: Mapping[str, Any]) -> Credentials | None:
        """Credentials from a ``daemon.jwt`` document, or None when it lacks the worker id or token."""
        worker_id, token = document.get("workerId"), document.get("runtimeToken")
        if not isinstance(worker_id, str) or not worker_id or not isinstance(token, str) or not token:
            return None
        return cls(
            worker_id=worker_id,
            runtime_token=token,
            heartbeat_interval_ms=_number(document.get("heartbeatInterval")),
            poll_interval_ms=_number(document.get("pollInterval")),
            runtime_token_expires_at=_instant_field(document.get("runtimeTokenExpiresAt")),
            cached_at=str(document.get("cachedAt") or ""),
        )


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _instant_field(value: object) -> str | float | None:
    if isinstance(value, str) and value:
        return value
    return _number(value)


def from_registration(body: object, *, now: float) -> Credentials:
    """Credentials from a ``POST /api/workers/register`` response body.

    Raises:
        ProtocolError: The body has no worker id or no runtime token (a legacy server answers null).
    """
    if not isinstance(body, Mapping):
        raise ProtocolError("registration response is not a JSON object")
    found = Credentials.from_cache({**body, "cachedAt": _iso(now)})
    if found is None:
        raise ProtocolError("registration response has no workerId or runtimeToken")
    return found


def refreshed(current: Credentials, body: object, *, now: float) -> Credentials:
    """``current`` with the token (and any intervals) of a ``refresh-token`` response; same worker id.

    Raises:
        ProtocolError: The body carries no runtime token.
    """
    if (
        not isinstance(body, Mapping)
        or not isinstance(body.get("runtimeToken"), str)
        or not body["runtimeToken"]
    ):
        raise ProtocolError("refresh-token response has no runtimeToken")
    expires = body.get("runtimeTokenExpiresAt", body.get("expiresAt"))
    return replace(
        current,
        runtime_token=body["runtimeToken"],
        runtime_token_expires_at=_instant_field(expires),
        heartbeat_interval_ms=_number(body.get("heartbeatInterval")) or current.heartbeat_interval_ms,
        poll_interval_ms=_number(body.get("pollInterval")) or current.poll_interval_ms,
        cached_at=_iso(now),
    )


class CredentialStore:
    """``<state_dir>/daemon.jwt``: written atomically, readable by the owner only."""

    def __init__(self, state_dir: Path) -> None:
        """Bind the store to a state directory (created on first save, mode 0700)."""
        self.path = state_dir / CACHE_FILE

    def load(self) -> Credentials | None:
        """The cached credentials, or None when missing or unreadable (the daemon then registers)."""
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return Credentials.from_cache(document) if isinstance(document, dict) else None

    def save(self, credentials: Credentials) -> None:
        """Write the cache with mode 0600 (the token never exists on disk with wider permissions)."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{CACHE_FILE}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(credentials.to_cache(), handle)
        os.chmod(temporary, 0o600)  # an existing temp file keeps its old mode through O_CREAT
        os.replace(temporary, self.path)

    def clear(self) -> None:
        """Forget the cache."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
