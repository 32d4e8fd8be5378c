"""Bodies of the deploy routes (projects, apps, environments, env vars, placement, pools, changes).

Times are RFC 3339. No response ever carries an env value except ``POST .../env/{key}/reveal``.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
from switchyard.deploy.v1 import deploy_pb2 as pb
from switchyard.gateway.schema import CamelStruct, NonEmptyStr, rfc3339


class ProjectCreate(CamelStruct):
    """``POST /api/projects``."""

    name: NonEmptyStr
    slug: str = ""
    description: str = ""


class ProjectUpdate(CamelStruct):
    """``PATCH /api/projects/{projectId}``: only the fields given change."""

    name: str | None = None
    slug: str | None = None
    description: str | None = None


class Project(CamelStruct):
    """A project."""

    id: str
    org_id: str
    name: str
    slug: str
    description: str
    created_at: str
    updated_at: str


class ProjectEnvelope(CamelStruct):
    """One project."""

    project: Project


class ProjectList(CamelStruct):
    """The org's projects, oldest first."""

    projects: list[Project]


class AppCreate(CamelStruct):
    """``POST /api/apps``."""

    project_id: NonEmptyStr
    name: NonEmptyStr
    server_id: NonEmptyStr
    slug: str = ""
    port: int = 0
    health_check_path: str = ""
    start_command: str = ""


class AppUpdate(CamelStruct):
    """``PATCH /api/apps/{appId}``: only the fields given change."""

    name: str | None = None
    slug: str | None = None
    server_id: str | None = None
    port: int | None = None
    health_check_path: str | None = None
    start_command: str | None = None


class App(CamelStruct):
    """An app."""

    id: str
    org_id: str
    project_id: str
    name: str
    slug: str
    server_id: str
    port: int
    health_check_path: str
    start_command: str
    created_at: str
    updated_at: str


class AppEnvelope(CamelStruct):
    """One app."""

    app: App


class AppList(CamelStruct):
    """The org's apps, oldest first."""

    apps: list[App]


class EnvironmentCreate(CamelStruct):
    """``POST /api/apps/{appId}/environments``."""

    name: NonEmptyStr


class Environment(CamelStruct):
    """An environment of an app."""

    id: str
    app_id: str
    name: str
    created_at: str
    requires_approval: bool = False


class EnvironmentEnvelope(CamelStruct):
    """One environment."""

    environment: Environment


class EnvironmentList(CamelStruct):
    """An app's environments by name."""

    environments: list[Environment]


class Deleted(CamelStruct):
    """A deletion's answer."""

    deleted: bool


class EnvVar(CamelStruct):
    """An env var as every listing shows it: masked, never its value (nor its length)."""

    key: str
    masked: bool
    updated_by: str
    created_at: str
    updated_at: str


class EnvVarItem(CamelStruct):
    """One variable of a ``PUT`` body in list form."""

    key: str
    value: str


class EnvVarsPut(CamelStruct):
    """``PUT /api/apps/{appId}/env``: ``vars`` as an object or a list; ``replace`` removes unlisted keys."""

    vars: dict[str, str] | list[EnvVarItem]
    replace: bool = False


class EnvVarList(CamelStruct):
    """An environment's variables, masked; ``removedKeys`` after a replace."""

    environment: str
    vars: list[EnvVar]
    removed_keys: list[str] = msgspec.field(default_factory=list)


class EnvVarUpdate(CamelStruct):
    """``PATCH /api/apps/{appId}/env/{key}``."""

    value: str


class EnvVarEnvelope(CamelStruct):
    """One variable, masked."""

    var: EnvVar


class RevealRequest(CamelStruct):
    """``POST /api/apps/{appId}/env/{key}/reveal``."""

    reason: str = ""


class Revealed(CamelStruct):
    """The plaintext of one variable."""

    key: str
    value: str


class CloneRequest(CamelStruct):
    """``POST /api/apps/{appId}/env/clone``."""

    source: NonEmptyStr = msgspec.field(name="from")
    to: NonEmptyStr
    overwrite: bool = False


class Cloned(CamelStruct):
    """Keys copied, and keys kept because the target had them (without ``overwrite``)."""

    copied_keys: list[str]
    skipped_keys: list[str]


class LabelsPut(CamelStruct):
    """``PUT /api/servers/{serverId}/labels``."""

    labels: dict[str, str]


class PoolAssign(CamelStruct):
    """``POST /api/servers/{serverId}/pool``: null or "" takes the server out of its pool."""

    pool_id: str | None = None


class Placement(CamelStruct):
    """A server's placement."""

    server_id: str
    org_id: str
    labels: dict[str, str]
    cordoned: bool
    draining: bool
    pool_id: str | None
    revoked: bool
    registered_at: str
    updated_at: str


class PlacementEnvelope(CamelStruct):
    """One server's placement."""

    placement: Placement


class PoolCreate(CamelStruct):
    """``POST /api/pools``."""

    name: NonEmptyStr
    description: str = ""
    selector: dict[str, str] = msgspec.field(default_factory=dict)


class Pool(CamelStruct):
    """A server pool."""

    id: str
    org_id: str
    name: str
    description: str
    selector: dict[str, str]
    server_count: int
    created_at: str


class PoolEnvelope(CamelStruct):
    """One pool."""

    pool: Pool


class PoolList(CamelStruct):
    """The org's pools by name."""

    pools: list[Pool]


class Change(CamelStruct):
    """One entry of the change feed (never an env value)."""

    id: int
    type: str
    entity_type: str
    entity_id: str
    app_id: str | None
    actor: str
    summary: dict[str, Any]
    created_at: str


class ChangeList(CamelStruct):
    """A page of the feed, newest first; pass ``nextCursor`` as ``cursor`` for the next one."""

    changes: list[Change]
    next_cursor: str | None


def project(message: pb.Project) -> Project:
    """Map a ``deploy.v1.Project``."""
    return Project(
        id=message.id,
        org_id=message.org_id,
        name=message.name,
        slug=message.slug,
        description=message.description,
        created_at=rfc3339(message.created_at),
        updated_at=rfc3339(message.updated_at),
    )


def app(message: pb.App) -> App:
    """Map a ``deploy.v1.App``."""
    return App(
        id=message.id,
        org_id=message.org_id,
        project_id=message.project_id,
        name=message.name,
        slug=message.slug,
        server_id=message.server_id,
        port=message.port,
        health_check_path=message.health_check_path,
        start_command=message.start_command,
        created_at=rfc3339(message.created_at),
        updated_at=rfc3339(message.updated_at),
    )


def environment(message: pb.Environment) -> Environment:
    """Map a ``deploy.v1.Environment``."""
    return Environment(
        id=message.id,
        app_id=message.app_id,
        name=message.name,
        created_at=rfc3339(message.created_at),
        requires_approval=message.requires_approval,
    )


def env_var(message: pb.EnvVar) -> EnvVar:
    """Map a ``deploy.v1.EnvVar`` (it carries no value)."""
    return EnvVar(
        key=message.key,
        masked=True,
        updated_by=message.updated_by,
        created_at=rfc3339(message.created_at),
        updated_at=rfc3339(message.updated_at),
    )


def placement(message: pb.ServerPlacement) -> Placement:
    """Map a ``deploy.v1.ServerPlacement``."""
    return Placement(
        server_id=message.server_id,
        org_id=message.org_id,
        labels=dict(message.labels),
        cordoned=message.cordoned,
        draining=message.draining,
        pool_id=message.pool_id or None,
        revoked=message.revoked,
        registered_at=rfc3339(message.registered_at),
        updated_at=rfc3339(message.updated_at),
    )


def pool(message: pb.Pool) -> Pool:
    """Map a ``deploy.v1.Pool``."""
    return Pool(
        id=message.id,
        org_id=message.org_id,
        name=message.name,
        description=message.description,
        selector=dict(message.selector),
        server_count=message.server_count,
        created_at=rfc3339(message.created_at),
    )


def change(message: pb.Change) -> Change:
    """Map a ``deploy.v1.Change``."""
    return Change(
        id=message.id,
        type=message.type,
        entity_type=message.entity_type,
        entity_id=message.entity_id,
        app_id=message.app_id or None,
        actor=message.actor,
        summary=dict(json.loads(message.summary_json or "{}")),
        created_at=rfc3339(message.created_at),
    )


def env_inputs(body: EnvVarsPut) -> list[pb.EnvVarInput]:
    """The body's variables in order, whichever form it used."""
    if isinstance(body.vars, dict):
        return [pb.EnvVarInput(key=k, value=v) for k, v in body.vars.items()]
    return [pb.EnvVarInput(key=item.key, value=item.value) for item in body.vars]
