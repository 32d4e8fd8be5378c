"""Deployment RPCs: create, list, get, cancel, rollback, approve, reject, environment approval, watch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from switchyard.deploy.domain.deployments import models as dm
from switchyard.deploy.domain.deployments.models import DeploymentView
from switchyard.deploy.rpc import _mapping as m
from switchyard.deploy.rpc._context import Base, Context
from switchyard.deploy.v1 import deployments_pb2 as pb
from switchyard.grpckit.principal import get_principal


def deployment(view: DeploymentView) -> pb.Deployment:
    """The wire form of a deployment."""
    return pb.Deployment(
        id=view.id,
        org_id=view.org_id,
        app_id=view.app_id,
        environment=view.environment,
        status=view.status,
        requested_by=view.requested_by,
        command_id=view.command_id,
        rollback_of=view.rollback_of or "",
        image_tag=view.image_tag,
        error=view.error,
        server_id=view.server_id,
        message=view.message,
        approved_by=view.approved_by,
        created_at=m.ts(view.created_at),
        started_at=m.ts(view.started_at),
        finished_at=m.ts(view.finished_at),
    )


def _event(body: dict[str, Any]) -> pb.DeploymentEvent:
    stamp = m.ts(datetime.fromisoformat(str(body.get("ts", "")).replace("Z", "+00:00")))
    return pb.DeploymentEvent(
        ts=stamp,
        deployment_id=str(body.get("deploymentId", "")),
        status=str(body.get("status", "")),
        message=str(body.get("message", "")),
    )


READY, EVENT, END = (
    pb.DEPLOYMENT_WATCH_FRAME_TYPE_READY,
    pb.DEPLOYMENT_WATCH_FRAME_TYPE_EVENT,
    pb.DEPLOYMENT_WATCH_FRAME_TYPE_END,
)


class DeploymentRpc(Base):
    """The deployment RPCs (messages in deployments.proto)."""

    async def CreateDeployment(
        self, request: pb.CreateDeploymentRequest, context: Context
    ) -> pb.CreateDeploymentResponse:
        """Deploy an app's current spec."""
        view = await self._s.deployments.create(
            principal=get_principal(),
            app_id=request.app_id,
            environment=request.environment,
            image_tag=request.image_tag,
        )
        return pb.CreateDeploymentResponse(deployment=deployment(view))

    async def ListDeployments(
        self, request: pb.ListDeploymentsRequest, context: Context
    ) -> pb.ListDeploymentsResponse:
        """An app's deployments, newest first."""
        views = await self._s.deployments.list(
            principal=get_principal(),
            app_id=request.app_id,
            environment=request.environment,
            limit=request.limit,
        )
        return pb.ListDeploymentsResponse(deployments=[deployment(v) for v in views])

    async def GetDeployment(
        self, request: pb.GetDeploymentRequest, context: Context
    ) -> pb.GetDeploymentResponse:
        """One deployment."""
        view = await self._s.deployments.get(principal=get_principal(), deployment_id=request.deployment_id)
        return pb.GetDeploymentResponse(deployment=deployment(view))

    async def CancelDeployment(
        self, request: pb.CancelDeploymentRequest, context: Context
    ) -> pb.CancelDeploymentResponse:
        """Cancel a deployment."""
        view = await self._s.deployments.cancel(
            principal=get_principal(), deployment_id=request.deployment_id
        )
        return pb.CancelDeploymentResponse(deployment=deployment(view))

    async def RollbackDeployment(
        self, request: pb.RollbackDeploymentRequest, context: Context
    ) -> pb.RollbackDeploymentResponse:
        """Deploy a previous succeeded deployment's spec again."""
        view = await self._s.deployments.rollback(
            principal=get_principal(), deployment_id=request.deployment_id
        )
        return pb.RollbackDeploymentResponse(deployment=deployment(view))

    async def ApproveDeployment(
        self, request: pb.ApproveDeploymentRequest, context: Context
    ) -> pb.ApproveDeploymentResponse:
        """Approve a pending deployment."""
        view = await self._s.deployments.approve(
            principal=get_principal(), deployment_id=request.deployment_id
        )
        return pb.ApproveDeploymentResponse(deployment=deployment(view))

    async def RejectDeployment(
        self, request: pb.RejectDeploymentRequest, context: Context
    ) -> pb.RejectDeploymentResponse:
        """Reject a pending deployment."""
        view = await self._s.deployments.reject(
            principal=get_principal(), deployment_id=request.deployment_id, reason=request.reason
        )
        return pb.RejectDeploymentResponse(deployment=deployment(view))

    async def SetEnvironmentApproval(
        self, request: pb.SetEnvironmentApprovalRequest, context: Context
    ) -> pb.SetEnvironmentApprovalResponse:
        """Turn an environment's approval requirement on or off."""
        view = await self._s.deployments.set_approval(
            principal=get_principal(),
            app_id=request.app_id,
            environment=request.environment,
            requires_approval=request.requires_approval,
        )
        return pb.SetEnvironmentApprovalResponse(environment=m.environment(view))

    async def WatchDeploymentEvents(
        self, request: pb.WatchDeploymentEventsRequest, context: Context
    ) -> AsyncIterator[pb.WatchDeploymentEventsResponse]:
        """READY, the stored events from ``from_ts`` (at most ``limit``), live ones, then END once final."""
        principal = get_principal()
        limit = dm.watch_limit(request.limit)
        view = await self._s.deployments.get(principal=principal, deployment_id=request.deployment_id)
        from_ts = request.from_ts.ToDatetime(tzinfo=UTC) if request.HasField("from_ts") else None
        yield pb.WatchDeploymentEventsResponse(type=READY, deployment=deployment(view))
        caught_up, final_seen, quiet_final = False, False, False
        async for body in self._s.progress.watch(view.id, from_ts=from_ts, limit=limit):
            if body is not None:
                yield pb.WatchDeploymentEventsResponse(type=EVENT, event=_event(body))
                final_seen = final_seen or body.get("status") in dm.FINAL
                if not caught_up or not final_seen:
                    continue
            else:
                caught_up = True
            # Caught up, quiet, or a final event live: end once the stored state is final. The row turns final
            # just before its final event is appended, so without that event one more quiet tick is awaited.
            current = await self._s.deployments.get(principal=principal, deployment_id=view.id)
            if current.final and (final_seen or quiet_final):
                yield pb.WatchDeploymentEventsResponse(type=END, deployment=deployment(current))
                return
            quiet_final = current.final and body is None
