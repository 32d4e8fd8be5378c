"""``/api/apps``: apps and their environments (tenant from ``X-Tenant-ID``; writes need admin or owner)."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from switchyard.deploy.v1 import deploy_service_pb2 as pb
from switchyard.gateway.auth.deps import TENANT
from switchyard.gateway.domain.deploy import schemas as s
from switchyard.gateway.domain.deploy.projects import SECURITY, TAGS
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal


class AppsController(Controller):
    """Apps of the caller's org and their environments."""

    path = "/api/apps"
    tags = TAGS
    security = SECURITY
    dependencies = TENANT

    @post(
        "/",
        status_code=201,
        operation_id="createApp",
        description="Create an app in the current tenant, in one of its projects (`projectId`), placed on a server (`serverId`, a UUID from /api/servers). `port` defaults to 3000, `healthCheckPath` to `/`; `startCommand` is the process the agent runs (`{port}` is replaced). The app starts with a `production` environment. Requires org admin or owner.",  # noqa: E501
    )
    async def create(
        self,
        data: JSONBody[s.AppCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.AppEnvelope:
        """Create an app."""
        request = pb.CreateAppRequest(
            project_id=data.project_id,
            name=data.name,
            slug=data.slug,
            server_id=data.server_id,
            port=data.port,
            health_check_path=data.health_check_path,
            start_command=data.start_command,
        )
        response = await gateway.deploy.create_app(principal, request)
        return s.AppEnvelope(app=s.app(response.app))

    @get(
        "/",
        operation_id="listApps",
        description="List apps in the current tenant, oldest first; `projectId` keeps one project's.",
    )
    async def list_apps(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        projectId: FromQuery[str] = "",
    ) -> s.AppList:
        """The org's apps."""
        response = await gateway.deploy.list_apps(principal, pb.ListAppsRequest(project_id=projectId))
        return s.AppList(apps=[s.app(a) for a in response.apps])

    @get("/{appId:str}", operation_id="getApp", description="Get app details. 404 for another tenant's app.")
    async def get_app(
        self, appId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.AppEnvelope:
        """One app."""
        response = await gateway.deploy.get_app(principal, pb.GetAppRequest(app_id=appId))
        return s.AppEnvelope(app=s.app(response.app))

    @patch(
        "/{appId:str}",
        operation_id="updateApp",
        description="Update app configuration (only the fields given). Requires org admin or owner.",
    )
    async def update(
        self,
        appId: FromPath[str],
        data: JSONBody[s.AppUpdate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.AppEnvelope:
        """Change an app."""
        request = pb.UpdateAppRequest(
            app_id=appId,
            name=data.name,
            slug=data.slug,
            server_id=data.server_id,
            port=data.port,
            health_check_path=data.health_check_path,
            start_command=data.start_command,
        )
        response = await gateway.deploy.update_app(principal, request)
        return s.AppEnvelope(app=s.app(response.app))

    @delete(
        "/{appId:str}",
        status_code=200,
        operation_id="deleteApp",
        description="Delete an app with its environments and env vars. Requires org admin or owner.",
    )
    async def remove(
        self, appId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.Deleted:
        """Delete an app."""
        response = await gateway.deploy.delete_app(principal, pb.DeleteAppRequest(app_id=appId))
        return s.Deleted(deleted=response.deleted)

    @get(
        "/{appId:str}/environments",
        operation_id="listEnvironments",
        description="List environments for an app.",
    )
    async def list_environments(
        self, appId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.EnvironmentList:
        """An app's environments."""
        response = await gateway.deploy.list_environments(principal, pb.ListEnvironmentsRequest(app_id=appId))
        return s.EnvironmentList(environments=[s.environment(e) for e in response.environments])

    @post(
        "/{appId:str}/environments",
        status_code=201,
        operation_id="createEnvironment",
        description="Create an environment for an app (`name`: lowercase letters, digits and '-'). 409 when the name exists. Requires org admin or owner.",  # noqa: E501
    )
    async def create_environment(
        self,
        appId: FromPath[str],
        data: JSONBody[s.EnvironmentCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.EnvironmentEnvelope:
        """Add an environment."""
        request = pb.CreateEnvironmentRequest(app_id=appId, name=data.name)
        response = await gateway.deploy.create_environment(principal, request)
        return s.EnvironmentEnvelope(environment=s.environment(response.environment))

    @delete(
        "/{appId:str}/environments/{envName:str}",
        status_code=200,
        operation_id="deleteEnvironment",
        description="Delete an app environment and its env vars. `production` cannot be deleted (409). Requires org admin or owner.",  # noqa: E501
    )
    async def delete_environment(
        self,
        appId: FromPath[str],
        envName: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Deleted:
        """Delete an environment."""
        response = await gateway.deploy.delete_environment(
            principal, pb.DeleteEnvironmentRequest(app_id=appId, name=envName)
        )
        return s.Deleted(deleted=response.deleted)
