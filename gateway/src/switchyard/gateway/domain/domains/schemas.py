"""Bodies of the domain routes (camelCase, as the rest of ``/api/apps``) and of the route diff/reconcile
(the seed's snake_case, as the other server operator actions)."""

from __future__ import annotations

import msgspec
from switchyard.agents.v1 import routes_pb2
from switchyard.deploy.v1 import domains_pb2 as pb
from switchyard.gateway.schema import CamelStruct, rfc3339


class DomainCreate(CamelStruct):
    """``POST /api/apps/{appId}/domains``."""

    hostname: str
    tls: bool = True


class Domain(CamelStruct):
    """A domain of an app."""

    id: str
    app_id: str
    hostname: str
    tls: bool
    status: str
    last_error: str | None
    server_id: str
    command_id: str | None
    created_at: str
    updated_at: str


class DomainEnvelope(CamelStruct):
    """One domain."""

    domain: Domain


class DomainList(CamelStruct):
    """An app's domains by hostname."""

    domains: list[Domain]


class DomainDeleted(CamelStruct):
    """``deleted`` when the row went at once; else the domain is ``removing`` until the agent answers."""

    domain: Domain
    deleted: bool


class Reconciled(msgspec.Struct, kw_only=True):
    """``{queued, command_id}`` plus how many canonical routes the command carries."""

    queued: bool
    command_id: str
    routes: int
    version: int


class RouteDiff(msgspec.Struct, kw_only=True):
    """One route: ``diff`` is in_sync | missing_in_dwaar | unexpected_in_dwaar."""

    domain: str
    diff: str
    app_id: str | None
    expected_upstream: str | None
    actual_upstream: str | None
    upstream_matches: bool


class RouteDiffs(msgspec.Struct, kw_only=True):
    """The union of the canonical set and Dwaar's routes, by domain."""

    routes: list[RouteDiff]
    command_id: str
    version: int


def domain(message: pb.Domain) -> Domain:
    """Map a ``deploy.v1.Domain``."""
    return Domain(
        id=message.id,
        app_id=message.app_id,
        hostname=message.hostname,
        tls=message.tls,
        status=message.status,
        last_error=message.last_error or None,
        server_id=message.server_id,
        command_id=message.command_id or None,
        created_at=rfc3339(message.created_at),
        updated_at=rfc3339(message.updated_at),
    )


def diffs(message: routes_pb2.GetRouteDiffResponse) -> RouteDiffs:
    """Map a ``GetRouteDiffResponse``."""
    return RouteDiffs(
        routes=[
            RouteDiff(
                domain=r.domain,
                diff=r.state,
                app_id=r.app_id or None,
                expected_upstream=r.expected_upstream or None,
                actual_upstream=r.actual_upstream or None,
                upstream_matches=r.upstream_matches,
            )
            for r in message.routes
        ],
        command_id=message.command_id,
        version=message.version,
    )
