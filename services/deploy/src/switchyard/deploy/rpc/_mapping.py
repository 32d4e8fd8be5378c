"""pb <-> domain conversions shared by the servicer and the event writer."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.deploy.domain.apps.models import AppView, EnvironmentView
from switchyard.deploy.domain.envvars.models import EnvVarView
from switchyard.deploy.domain.events import ChangeView
from switchyard.deploy.domain.placement.models import PlacementView, PoolView
from switchyard.deploy.domain.projects.models import ProjectView
from switchyard.deploy.v1 import deploy_pb2 as pb


def ts(value: datetime | None) -> Timestamp | None:
    """A Timestamp, or None so the field stays unset."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def when(stamp: Timestamp, present: bool) -> datetime | None:
    """A timezone-aware datetime of a set Timestamp field, else None."""
    return stamp.ToDatetime(tzinfo=UTC) if present else None


def project(view: ProjectView) -> pb.Project:
    """The wire form of a project."""
    return pb.Project(
        id=view.id,
        org_id=view.org_id,
        name=view.name,
        slug=view.slug,
        description=view.description,
        created_at=ts(view.created_at),
        updated_at=ts(view.updated_at),
    )


def app(view: AppView) -> pb.App:
    """The wire form of an app."""
    return pb.App(
        id=view.id,
        org_id=view.org_id,
        project_id=view.project_id,
        name=view.name,
        slug=view.slug,
        server_id=view.server_id,
        port=view.port,
        health_check_path=view.health_check_path,
        start_command=view.start_command,
        created_at=ts(view.created_at),
        updated_at=ts(view.updated_at),
    )


def environment(view: EnvironmentView) -> pb.Environment:
    """The wire form of an environment."""
    return pb.Environment(
        id=view.id,
        app_id=view.app_id,
        name=view.name,
        created_at=ts(view.created_at),
        requires_approval=view.requires_approval,
    )


def env_var(view: EnvVarView) -> pb.EnvVar:
    """The wire form of an env var: always masked."""
    return pb.EnvVar(
        key=view.key,
        masked=True,
        updated_by=view.updated_by,
        created_at=ts(view.created_at),
        updated_at=ts(view.updated_at),
    )


def placement(view: PlacementView) -> pb.ServerPlacement:
    """The wire form of a server's placement."""
    return pb.ServerPlacement(
        server_id=view.server_id,
        org_id=view.org_id,
        labels=view.labels,
        cordoned=view.cordoned,
        draining=view.draining,
        pool_id=view.pool_id or "",
        revoked=view.revoked,
        registered_at=ts(view.registered_at),
        updated_at=ts(view.updated_at),
    )


def pool(view: PoolView) -> pb.Pool:
    """The wire form of a pool."""
    return pb.Pool(
        id=view.id,
        org_id=view.org_id,
        name=view.name,
        description=view.description,
        selector=view.selector,
        created_at=ts(view.created_at),
        server_count=view.server_count,
    )


def change(view: ChangeView) -> pb.Change:
    """The wire form of a feed entry."""
    return pb.Change(
        id=view.id,
        org_id=view.org_id,
        type=view.type,
        entity_type=view.entity_type,
        entity_id=view.entity_id,
        app_id=view.app_id or "",
        actor=view.actor,
        summary_json=json.dumps(view.summary, separators=(",", ":"), sort_keys=True),
        created_at=ts(view.created_at),
    )
