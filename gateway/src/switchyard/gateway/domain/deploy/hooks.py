"""Deploy hooks: ``/api/apps/{appId}/hooks`` (tenant from ``X-Tenant-ID``; writes need admin or owner) and
``POST /api/hooks/{token}``, which deploys without a session (the token is the proof; rate-limited per client
IP here and per hook in the deploy service)."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from switchyard.deploy.v1 import hooks_pb2 as pb
from switchyard.gateway.auth.deps import PUBLIC, TENANT
from switchyard.gateway.domain.deploy import deployment_schemas as ds
from switchyard.gateway.domain.deploy.projects import SECURITY, TAGS
from switchyard.gateway.domain.deploy.schemas import Deleted
from switchyard.gateway.ratelimit import RATE_LIMIT_OPT, rate_limit_guard
from switchyard.gateway.schema import CamelStruct, rfc3339, rfc3339_or_none
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal


class HookCreate(CamelStruct):
    """``POST /api/apps/{appId}/hooks``."""

    name: str = ""
    environment: str = ""


class HookTrigger(CamelStruct):
    """``POST /api/hooks/{token}`` (the body is optional)."""

    image_tag: str = ""


class Hook(CamelStruct):
    """A deploy hook (never its token)."""

    id: str
    app_id: str
    environment: str
    name: str
    token_hint: str
    created_by: str
    created_at: str
    last_used_at: str | None


class HookCreated(CamelStruct):
    """A new hook and its token, shown this once."""

    hook: Hook
    token: str
    url: str


class HookList(CamelStruct):
    """An app's hooks, oldest first."""

    hooks: list[Hook]


def hook(message: pb.DeployHook) -> Hook:
    """Map a ``deploy.v1.DeployHook``."""
    return Hook(
        id=message.id,
        app_id=message.app_id,
        environment=message.environment,
        name=message.name,
        token_hint=message.token_hint,
        created_by=message.created_by,
        created_at=rfc3339(message.created_at),
        last_used_at=rfc3339_or_none(message, "last_used_at"),
    )


class AppHooksController(Controller):
    """The deploy hooks of an app."""

    path = "/api/apps"
    tags = TAGS
    security = SECURITY
    dependencies = TENANT

    @post(
        "/{appId:str}/hooks",
        status_code=201,
        operation_id="createDeployHook",
        description="Create a deploy hook for an app's environment (`environment`, default `production`; optional `name`). The answer carries the token and `url` (`/api/hooks/{token}`) this once; only a hash is stored. Requires org admin or owner.",  # noqa: E501
    )
    async def create(
        self,
        appId: FromPath[str],
        data: JSONBody[HookCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> HookCreated:
        """Create a hook."""
        request = pb.CreateDeployHookRequest(app_id=appId, environment=data.environment, name=data.name)
        response = await gateway.deploy.create_deploy_hook(principal, request)
        return HookCreated(hook=hook(response.hook), token=response.token, url=f"/api/hooks/{response.token}")

    @get(
        "/{appId:str}/hooks",
        operation_id="listDeployHooks",
        description="List an app's deploy hooks (no tokens).",
    )
    async def list_hooks(
        self, appId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> HookList:
        """An app's hooks."""
        response = await gateway.deploy.list_deploy_hooks(principal, pb.ListDeployHooksRequest(app_id=appId))
        return HookList(hooks=[hook(h) for h in response.hooks])

    @delete(
        "/{appId:str}/hooks/{hookId:str}",
        status_code=200,
        operation_id="deleteDeployHook",
        description="Delete a deploy hook; its URL stops working at once. Requires org admin or owner.",
    )
    async def remove(
        self,
        appId: FromPath[str],
        hookId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> Deleted:
        """Delete a hook."""
        request = pb.DeleteDeployHookRequest(app_id=appId, hook_id=hookId)
        response = await gateway.deploy.delete_deploy_hook(principal, request)
        return Deleted(deleted=response.deleted)


class HookTriggerController(Controller):
    """Deploy through a hook URL, without a session."""

    path = "/api/hooks"
    tags = TAGS
    dependencies = PUBLIC

    @post(
        "/{token:str}",
        status_code=201,
        guards=[rate_limit_guard],
        opt={RATE_LIMIT_OPT: "deploy-hook"},
        operation_id="triggerDeployHook",
        description="Deploy the hook's app environment (optional `imageTag`); no session needed, the token in the path is the proof. 404 for an unknown token, 429 with Retry-After when the hook was used within the last 10 s (or the client IP is over its limit).",  # noqa: E501
    )
    async def trigger(
        self,
        token: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        data: JSONBody[HookTrigger | None] = None,
    ) -> ds.DeploymentEnvelope:
        """Deploy with a hook token."""
        request = pb.TriggerDeployHookRequest(token=token, image_tag=data.image_tag if data else "")
        response = await gateway.deploy.trigger_deploy_hook(principal, request)
        return ds.DeploymentEnvelope(deployment=ds.deployment(response.deployment))


ROUTES = [AppHooksController, HookTriggerController]
