"""App and environment RPCs."""

from __future__ import annotations

from switchyard.deploy.domain.apps.models import AppPatch
from switchyard.deploy.rpc import _mapping as m
from switchyard.deploy.rpc._context import Base, Context
from switchyard.deploy.v1 import deploy_service_pb2 as svc
from switchyard.grpckit.principal import get_principal


def _patch(request: svc.UpdateAppRequest) -> AppPatch:
    def opt(name: str) -> str | None:
        return str(getattr(request, name)) if request.HasField(name) else None

    return AppPatch(
        name=opt("name"),
        slug=opt("slug"),
        server_id=opt("server_id"),
        port=request.port if request.HasField("port") else None,
        health_check_path=opt("health_check_path"),
        start_command=opt("start_command"),
    )


class AppRpc(Base):
    """CreateApp, ListApps, GetApp, UpdateApp, DeleteApp and the environment RPCs."""

    async def CreateApp(self, request: svc.CreateAppRequest, context: Context) -> svc.CreateAppResponse:
        """Create an app with its production environment."""
        fields = AppPatch(
            name=request.name,
            slug=request.slug,
            server_id=request.server_id,
            port=request.port,
            health_check_path=request.health_check_path,
            start_command=request.start_command,
        )
        view = await self._s.apps.create(
            principal=get_principal(), project_id=request.project_id, fields=fields
        )
        return svc.CreateAppResponse(app=m.app(view))

    async def ListApps(self, request: svc.ListAppsRequest, context: Context) -> svc.ListAppsResponse:
        """The org's apps."""
        views = await self._s.apps.list(principal=get_principal(), project_id=request.project_id)
        return svc.ListAppsResponse(apps=[m.app(v) for v in views])

    async def GetApp(self, request: svc.GetAppRequest, context: Context) -> svc.GetAppResponse:
        """One app."""
        view = await self._s.apps.get(principal=get_principal(), app_id=request.app_id)
        return svc.GetAppResponse(app=m.app(view))

    async def UpdateApp(self, request: svc.UpdateAppRequest, context: Context) -> svc.UpdateAppResponse:
        """Change an app."""
        view = await self._s.apps.update(
            principal=get_principal(), app_id=request.app_id, patch=_patch(request)
        )
        return svc.UpdateAppResponse(app=m.app(view))

    async def DeleteApp(self, request: svc.DeleteAppRequest, context: Context) -> svc.DeleteAppResponse:
        """Delete an app."""
        await self._s.apps.delete(principal=get_principal(), app_id=request.app_id)
        return svc.DeleteAppResponse(deleted=True)

    async def ListEnvironments(
        self, request: svc.ListEnvironmentsRequest, context: Context
    ) -> svc.ListEnvironmentsResponse:
        """An app's environments."""
        views = await self._s.environments.list(principal=get_principal(), app_id=request.app_id)
        return svc.ListEnvironmentsResponse(environments=[m.environment(v) for v in views])

    async def CreateEnvironment(
        self, request: svc.CreateEnvironmentRequest, context: Context
    ) -> svc.CreateEnvironmentResponse:
        """Add an environment."""
        view = await self._s.environments.create(
            principal=get_principal(), app_id=request.app_id, name=request.name
        )
        return svc.CreateEnvironmentResponse(environment=m.environment(view))

    async def DeleteEnvironment(
        self, request: svc.DeleteEnvironmentRequest, context: Context
    ) -> svc.DeleteEnvironmentResponse:
        """Delete an environment."""
        await self._s.environments.delete(principal=get_principal(), app_id=request.app_id, name=request.name)
        return svc.DeleteEnvironmentResponse(deleted=True)
