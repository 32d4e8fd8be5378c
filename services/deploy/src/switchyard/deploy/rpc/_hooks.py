"""Deploy hook RPCs: create (token once), list, delete, trigger (no principal: the token is the proof)."""

from __future__ import annotations

from switchyard.deploy.domain.hooks.repository import HookView
from switchyard.deploy.rpc import _mapping as m
from switchyard.deploy.rpc._context import Base, Context
from switchyard.deploy.rpc._deployments import deployment
from switchyard.deploy.v1 import hooks_pb2 as pb
from switchyard.grpckit.principal import get_principal


def hook(view: HookView) -> pb.DeployHook:
    """The wire form of a hook (never its token or hash)."""
    return pb.DeployHook(
        id=view.id,
        app_id=view.app_id,
        environment=view.environment,
        name=view.name,
        token_hint=view.token_hint,
        created_by=view.created_by,
        created_at=m.ts(view.created_at),
        last_used_at=m.ts(view.last_used_at),
    )


class HookRpc(Base):
    """CreateDeployHook, ListDeployHooks, DeleteDeployHook, TriggerDeployHook."""

    async def CreateDeployHook(
        self, request: pb.CreateDeployHookRequest, context: Context
    ) -> pb.CreateDeployHookResponse:
        """Create a hook; the token is in this answer only."""
        view, token = await self._s.hooks.create(
            principal=get_principal(),
            app_id=request.app_id,
            environment=request.environment,
            name=request.name,
        )
        return pb.CreateDeployHookResponse(hook=hook(view), token=token)

    async def ListDeployHooks(
        self, request: pb.ListDeployHooksRequest, context: Context
    ) -> pb.ListDeployHooksResponse:
        """An app's hooks."""
        views = await self._s.hooks.list(principal=get_principal(), app_id=request.app_id)
        return pb.ListDeployHooksResponse(hooks=[hook(v) for v in views])

    async def DeleteDeployHook(
        self, request: pb.DeleteDeployHookRequest, context: Context
    ) -> pb.DeleteDeployHookResponse:
        """Delete a hook."""
        await self._s.hooks.delete(principal=get_principal(), app_id=request.app_id, hook_id=request.hook_id)
        return pb.DeleteDeployHookResponse(deleted=True)

    async def TriggerDeployHook(
        self, request: pb.TriggerDeployHookRequest, context: Context
    ) -> pb.TriggerDeployHookResponse:
        """Deploy with a hook token."""
        view = await self._s.hooks.trigger(token=request.token, image_tag=request.image_tag)
        return pb.TriggerDeployHookResponse(deployment=deployment(view))
