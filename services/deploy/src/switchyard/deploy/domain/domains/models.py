"""Read models and rules of domains (hostnames routed to an app by its server's agent)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from switchyard.grpckit.errors import InvalidArgument

PENDING, ACTIVE, FAILED, REMOVING = "pending", "active", "failed", "removing"
# Domains in these states belong in the server's canonical route set.
ROUTED = (PENDING, ACTIVE)
# agent.v1 CommandType numbers deploy sends for domains.
ROUTE_ADD, ROUTE_REMOVE = 50, 51
# Apps run as local processes on their server: the route points at loopback.
UPSTREAM_HOST = "127.0.0.1"
HOSTNAME_MAX = 253
ERROR_MAX = 500
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_NUMERIC = re.compile(r"^[0-9]+$")
HOSTNAME_RULE = (
    "hostname must be a lowercase DNS name of at least two labels (letters, digits and '-', each label at "
    f"most 63 characters, at most {HOSTNAME_MAX} in all), optionally starting with '*.'"
)


@dataclass(frozen=True, slots=True)
class DomainView:
    """A domain as stored."""

    id: str
    org_id: str
    app_id: str
    hostname: str
    tls: bool
    status: str
    last_error: str
    server_id: str
    port: int
    command_id: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CommandResult:
    """The final state of an agent command, as the agents service reported it."""

    command_id: str
    server_id: str
    type: int
    status: str
    output: str


@dataclass(frozen=True, slots=True)
class Route:
    """One route of a server's canonical set."""

    domain: str
    app_id: str
    domain_id: str
    upstream_host: str
    upstream_port: int
    tls: bool


def hostname_of(value: str) -> str:
    """A hostname: a lowercase DNS name (``*.`` wildcard prefix allowed), at most 253 characters.

    Upper case is folded (DNS names are case-insensitive); anything else that is not a valid name,
    including an IP address and a bare label, is INVALID_ARGUMENT naming ``hostname``.
    """
    host = value.strip().lower()
    if not host:
        raise InvalidArgument("hostname is required")
    if len(host) > HOSTNAME_MAX:
        raise InvalidArgument(f"hostname must be at most {HOSTNAME_MAX} characters")
    labels = host.split(".")
    if labels[0] == "*":
        labels = labels[1:]
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or _NUMERIC.match(labels[-1]):
        raise InvalidArgument(HOSTNAME_RULE)
    return host


def error_text(status: str, output: str) -> str:
    """What ``last_error`` keeps of a failed command: its status and the end of its output."""
    tail = output.strip()[-ERROR_MAX:]
    return f"agent answered {status}: {tail}" if tail else f"agent answered {status}"


def route_add_payload(view: DomainView) -> dict[str, object]:
    """ROUTE_ADD as the reference agent parses it (unknown keys are rejected: no tls key)."""
    return {"domain": view.hostname, "upstream_host": UPSTREAM_HOST, "upstream_port": view.port}


def route_of(view: DomainView) -> Route:
    """The canonical route of a routed domain."""
    return Route(
        domain=view.hostname,
        app_id=view.app_id,
        domain_id=view.id,
        upstream_host=UPSTREAM_HOST,
        upstream_port=view.port,
        tls=view.tls,
    )
