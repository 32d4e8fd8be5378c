"""``/api/apps/{appId}/deployments`` and ``/api/deployments``: deployments, their approval, cancel and
rollback, and their progress as Server-Sent Events (tenant from ``X-Tenant-ID``).

The event stream proxies deploy's server-streaming ``WatchDeploymentEvents``: the stored events from
``from_ts`` (at most ``limit``), then live ones, until the deployment is final; the gRPC call is cancelled
as soon as the HTTP client goes away.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, TypeAlias

import grpc
import msgspec
from google.protobuf.timestamp_pb2 import Timestamp
from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage
from switchyard.deploy.v1 import deployments_pb2 as pb
from switchyard.gateway.auth.deps import TENANT
from switchyard.gateway.domain.deploy import deployment_schemas as s
from switchyard.gateway.domain.deploy.projects import SECURITY, TAGS
from switchyard.gateway.domain.deploy.schemas import EnvironmentEnvelope, environment
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.state import Gateway
from switchyard.gateway.streams import opened
from switchyard.grpckit.principal import Principal
from switchyard.obs import get_logger

log = get_logger(__name__)
# A watch ends after this long at the latest; the client reconnects with from_ts.
STREAM_MAX_SECONDS = 3600.0
LIMIT_MAX = 2000
WatchCall: TypeAlias = "grpc.aio.UnaryStreamCall[Any, pb.WatchDeploymentEventsResponse]"


def from_ts_stamp(value: str) -> Timestamp | None:
    """``from_ts`` as a Timestamp: RFC 3339 with an offset, or epoch milliseconds; None when empty."""
    text = value.strip()
    if not text:
        return None
    try:
        if text.isdigit():
            moment = datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError("no offset")
    except (ValueError, OverflowError, OSError) as exc:
        raise GatewayError(400, "from_ts must be an RFC 3339 time or epoch milliseconds") from exc
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


async def _events(call: WatchCall) -> AsyncIterator[ServerSentEventMessage]:
    try:
        yield ServerSentEventMessage(data=None, comment="connected")
        while True:
            frame = await call.read()
            if frame is grpc.aio.EOF:
                return
            if frame.type == pb.DEPLOYMENT_WATCH_FRAME_TYPE_EVENT:
                data = json.dumps(s.event(frame.event), separators=(",", ":"))
                yield ServerSentEventMessage(data=data, event="progress")
            elif frame.type == pb.DEPLOYMENT_WATCH_FRAME_TYPE_END:
                body = {"deployment": _plain(s.deployment(frame.deployment))}
                yield ServerSentEventMessage(data=json.dumps(body, separators=(",", ":")), event="end")
                return
    except grpc.aio.AioRpcError as exc:
        # Upstream ended the stream (deadline, a replica stopping): the client reconnects with from_ts.
        log.info("deployment event stream ended", grpc_code=exc.code().name)
    finally:
        call.cancel()


def _plain(value: s.Deployment) -> dict[str, Any]:
    result: dict[str, Any] = msgspec.to_builtins(value)
    return result


class AppDeploymentsController(Controller):
    """Deployments of one app, and its environments' approval requirement."""

    path = "/api/apps"
    tags = TAGS
    security = SECURITY
    dependencies = TENANT

    @post(
        "/{appId:str}/deployments",
        status_code=201,
        operation_id="createDeployment",
        description="Deploy the app's current spec (server, port, health check, start command) to an environment (`environment`, default `production`) with an optional version label `imageTag`. The app's server runs it through its agent; env values reach only the agent. `queued`, or `pending_approval` when the environment requires approval. Requires org admin or owner.",  # noqa: E501
    )
    async def create(
        self,
        appId: FromPath[str],
        data: JSONBody[s.DeploymentCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.DeploymentEnvelope:
        """Create a deployment."""
        request = pb.CreateDeploymentRequest(
            app_id=appId, environment=data.environment, image_tag=data.image_tag
        )
        response = await gateway.deploy.create_deployment(principal, request)
        return s.DeploymentEnvelope(deployment=s.deployment(response.deployment))

    @get(
        "/{appId:str}/deployments",
        operation_id="listDeployments",
        description="List an app's deployments, newest first; `environment` keeps one environment's, `limit` 1..200 (default 50).",  # noqa: E501
    )
    async def list_deployments(
        self,
        appId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        environment: FromQuery[str] = "",
        limit: FromQuery[int] = 0,
    ) -> s.DeploymentList:
        """An app's deployments."""
        request = pb.ListDeploymentsRequest(app_id=appId, environment=environment, limit=limit)
        response = await gateway.deploy.list_deployments(principal, request)
        return s.DeploymentList(deployments=[s.deployment(d) for d in response.deployments])

    @put(
        "/{appId:str}/environments/{envName:str}/approval",
        operation_id="setEnvironmentApproval",
        description="Turn the approval requirement of an environment on or off (`requiresApproval`): new deployments to it wait as `pending_approval` until an owner or admin approves. Requires org admin or owner.",  # noqa: E501
    )
    async def set_approval(
        self,
        appId: FromPath[str],
        envName: FromPath[str],
        data: JSONBody[s.EnvironmentApproval],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> EnvironmentEnvelope:
        """Set an environment's approval requirement."""
        request = pb.SetEnvironmentApprovalRequest(
            app_id=appId, environment=envName, requires_approval=data.requires_approval
        )
        response = await gateway.deploy.set_environment_approval(principal, request)
        return EnvironmentEnvelope(environment=environment(response.environment))


class DeploymentsController(Controller):
    """One deployment: read, follow, cancel, roll back to, approve, reject."""

    path = "/api/deployments"
    tags = TAGS
    security = SECURITY
    dependencies = TENANT

    @get(
        "/{deploymentId:str}",
        operation_id="getDeployment",
        description="Get a deployment. 404 for another tenant's.",
    )
    async def get_deployment(
        self,
        deploymentId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.DeploymentEnvelope:
        """One deployment."""
        response = await gateway.deploy.get_deployment(
            principal, pb.GetDeploymentRequest(deployment_id=deploymentId)
        )
        return s.DeploymentEnvelope(deployment=s.deployment(response.deployment))

    @get(
        "/{deploymentId:str}/events",
        operation_id="deploymentEvents",
        description="A text/event-stream of the deployment's progress: `progress` events with JSON data {ts, deploymentId, status, message} — the stored ones (kept 24 h) from `from_ts` (RFC 3339 or epoch ms; default: the first), at most `limit` (1..2000, default 500), then live ones — and one `end` event {deployment} once it is final, after which the stream closes. Reconnect with `from_ts` = the last `ts` seen.",  # noqa: E501
    )
    async def events(
        self,
        deploymentId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        from_ts: FromQuery[str] = "",
        limit: FromQuery[int] = 500,
    ) -> ServerSentEvent:
        """Server-Sent Events of a deployment."""
        if not 1 <= limit <= LIMIT_MAX:
            raise GatewayError(400, f"limit must be between 1 and {LIMIT_MAX}")
        request = pb.WatchDeploymentEventsRequest(
            deployment_id=deploymentId, from_ts=from_ts_stamp(from_ts), limit=limit
        )
        call = gateway.deploy.watch_deployment_events(principal, request, max_seconds=STREAM_MAX_SECONDS)
        await opened(call, lambda frame: frame.type == pb.DEPLOYMENT_WATCH_FRAME_TYPE_READY)
        return ServerSentEvent(_events(call))

    @post(
        "/{deploymentId:str}/cancel",
        status_code=200,
        operation_id="cancelDeployment",
        description="Cancel a deployment: waiting (`pending_approval`, `queued`) ones become `cancelled` at once, a running one is asked to stop (its final state follows). 409 when already final. Requires org admin or owner.",  # noqa: E501
    )
    async def cancel(
        self,
        deploymentId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.DeploymentEnvelope:
        """Cancel a deployment."""
        return s.DeploymentEnvelope(
            deployment=s.deployment(await gateway.deploy.deployment_action(principal, "Cancel", deploymentId))
        )

    @post(
        "/{deploymentId:str}/rollback",
        status_code=201,
        operation_id="rollbackDeployment",
        description="Roll back to this (succeeded) deployment: a new deployment of its spec and version label, with `rollbackOf` set. 409 unless it succeeded. Requires org admin or owner.",  # noqa: E501
    )
    async def rollback(
        self,
        deploymentId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.DeploymentEnvelope:
        """Roll back to a deployment."""
        return s.DeploymentEnvelope(
            deployment=s.deployment(
                await gateway.deploy.deployment_action(principal, "Rollback", deploymentId)
            )
        )

    @post(
        "/{deploymentId:str}/approve",
        status_code=200,
        operation_id="approveDeployment",
        description="Approve a deployment waiting for approval: it is queued and sent to the server's agent. 409 unless `pending_approval`. Org owner or admin only (not a service).",  # noqa: E501
    )
    async def approve(
        self,
        deploymentId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.DeploymentEnvelope:
        """Approve a deployment."""
        return s.DeploymentEnvelope(
            deployment=s.deployment(
                await gateway.deploy.deployment_action(principal, "Approve", deploymentId)
            )
        )

    @post(
        "/{deploymentId:str}/reject",
        status_code=200,
        operation_id="rejectDeployment",
        description="Reject a deployment waiting for approval (optional `reason`, at most 500 characters). 409 unless `pending_approval`. Org owner or admin only.",  # noqa: E501
    )
    async def reject(
        self,
        deploymentId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        data: JSONBody[s.DeploymentReject | None] = None,
    ) -> s.DeploymentEnvelope:
        """Reject a deployment."""
        request = pb.RejectDeploymentRequest(deployment_id=deploymentId, reason=data.reason if data else "")
        response = await gateway.deploy.reject_deployment(principal, request)
        return s.DeploymentEnvelope(deployment=s.deployment(response.deployment))


ROUTES = [AppDeploymentsController, DeploymentsController]
