"""Canonical routes, the route diff and its rules (no I/O)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ROUTE_LIST = 110
DWAAR_RECONCILE = 117
IN_SYNC, MISSING, UNEXPECTED = "in_sync", "missing_in_dwaar", "unexpected_in_dwaar"


@dataclass(frozen=True, slots=True)
class CanonicalRoute:
    """One route a server should serve, as deploy published it."""

    domain: str
    app_id: str
    domain_id: str
    upstream_host: str
    upstream_port: int
    tls: bool

    @property
    def upstream(self) -> str:
        """``host:port`` (IPv6 in brackets), as Dwaar shows an upstream."""
        host = f"[{self.upstream_host}]" if ":" in self.upstream_host else self.upstream_host
        return f"{host}:{self.upstream_port}"

    def to_json(self) -> dict[str, Any]:
        """The stored (and DWAAR_RECONCILE payload) form."""
        return {
            "domain": self.domain,
            "app_id": self.app_id,
            "domain_id": self.domain_id,
            "upstream_host": self.upstream_host,
            "upstream_port": self.upstream_port,
            "tls": self.tls,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> CanonicalRoute:
        """The stored form back."""
        return cls(
            domain=str(obj.get("domain", "")),
            app_id=str(obj.get("app_id", "")),
            domain_id=str(obj.get("domain_id", "")),
            upstream_host=str(obj.get("upstream_host", "")),
            upstream_port=int(obj.get("upstream_port", 0)),
            tls=bool(obj.get("tls", True)),
        )


@dataclass(frozen=True, slots=True)
class RouteSet:
    """A server's canonical routes at one version (version 0: deploy never published any)."""

    server_id: str
    org_id: str
    version: int
    routes: tuple[CanonicalRoute, ...]
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RouteDiff:
    """One domain of the union of the canonical set and what Dwaar serves."""

    domain: str
    state: str
    app_id: str = ""
    expected_upstream: str = ""
    actual_upstream: str = ""
    upstream_matches: bool = False


@dataclass(frozen=True, slots=True)
class DiffReport:
    """The diff, the ROUTE_LIST command it came from and the canonical version it was joined with."""

    routes: tuple[RouteDiff, ...]
    command_id: str
    version: int


@dataclass(frozen=True, slots=True)
class Reconcile:
    """A queued DWAAR_RECONCILE."""

    command_id: str
    routes: int
    version: int


def served_routes(output: str) -> list[dict[str, Any]] | None:
    """The JSON array ROUTE_LIST answers (Dwaar's ``GET /routes``); None when it is not one."""
    for candidate in (output, output.strip().rsplit("\n", 1)[-1]):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, list):
            return [item for item in value if isinstance(item, dict) and isinstance(item.get("domain"), str)]
    return None


def diff(canonical: Sequence[CanonicalRoute], served: Iterable[dict[str, Any]]) -> tuple[RouteDiff, ...]:
    """Join by domain: in both -> in_sync, only canonical -> missing_in_dwaar, only served -> unexpected."""
    actual = {str(r["domain"]): str(r.get("upstream", "")) for r in served}
    rows: list[RouteDiff] = []
    for route in canonical:
        found = actual.pop(route.domain, None)
        rows.append(
            RouteDiff(
                domain=route.domain,
                state=MISSING if found is None else IN_SYNC,
                app_id=route.app_id,
                expected_upstream=route.upstream,
                actual_upstream=found or "",
                upstream_matches=found == route.upstream,
            )
        )
    rows += [RouteDiff(domain=d, state=UNEXPECTED, actual_upstream=u) for d, u in actual.items()]
    return tuple(sorted(rows, key=lambda r: r.domain))


def reconcile_payload(routes: Sequence[CanonicalRoute], version: int) -> dict[str, Any]:
    """DWAAR_RECONCILE's payload: the whole canonical set, to replace the agent's routes with.

    The real agent ignores the payload and asks ListServerRoutes, which answers the same set.
    """
    return {
        "version": version,
        "routes": [
            {
                "domain": r.domain,
                "upstream_host": r.upstream_host,
                "upstream_port": r.upstream_port,
                "app_id": r.app_id,
            }
            for r in routes
        ],
    }
