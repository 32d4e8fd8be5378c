"""Bodies of the deployment routes. A deployment never carries an env value (those reach only the agent)."""

from __future__ import annotations

from typing import Any

from switchyard.deploy.v1 import deployments_pb2 as pb
from switchyard.gateway.schema import CamelStruct, rfc3339, rfc3339_or_none


class DeploymentCreate(CamelStruct):
    """``POST /api/apps/{appId}/deployments``."""

    environment: str = ""
    image_tag: str = ""


class DeploymentReject(CamelStruct):
    """``POST /api/deployments/{deploymentId}/reject``."""

    reason: str = ""


class EnvironmentApproval(CamelStruct):
    """``PUT /api/apps/{appId}/environments/{envName}/approval``."""

    requires_approval: bool


class Deployment(CamelStruct):
    """A deployment."""

    id: str
    app_id: str
    environment: str
    status: str
    server_id: str
    requested_by: str
    approved_by: str | None
    command_id: str | None
    rollback_of: str | None
    image_tag: str
    error: str | None
    message: str
    created_at: str
    started_at: str | None
    finished_at: str | None


class DeploymentEnvelope(CamelStruct):
    """One deployment."""

    deployment: Deployment


class DeploymentList(CamelStruct):
    """An app's deployments, newest first."""

    deployments: list[Deployment]


def deployment(message: pb.Deployment) -> Deployment:
    """Map a ``deploy.v1.Deployment``."""
    return Deployment(
        id=message.id,
        app_id=message.app_id,
        environment=message.environment,
        status=message.status,
        server_id=message.server_id,
        requested_by=message.requested_by,
        approved_by=message.approved_by or None,
        command_id=message.command_id or None,
        rollback_of=message.rollback_of or None,
        image_tag=message.image_tag,
        error=message.error or None,
        message=message.message,
        created_at=rfc3339(message.created_at),
        started_at=rfc3339_or_none(message, "started_at"),
        finished_at=rfc3339_or_none(message, "finished_at"),
    )


def event(message: pb.DeploymentEvent) -> dict[str, Any]:
    """One SSE ``progress`` event's data."""
    return {
        "ts": rfc3339(message.ts),
        "deploymentId": message.deployment_id,
        "status": message.status,
        "message": message.message,
    }
