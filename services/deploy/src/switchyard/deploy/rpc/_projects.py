"""Project RPCs."""

from __future__ import annotations

from switchyard.deploy.domain.projects.models import ProjectPatch
from switchyard.deploy.rpc import _mapping as m
from switchyard.deploy.rpc._context import Base, Context
from switchyard.deploy.v1 import deploy_service_pb2 as svc
from switchyard.grpckit.principal import get_principal


def _opt(request: object, name: str) -> str | None:
    return str(getattr(request, name)) if request.HasField(name) else None  # type: ignore[attr-defined]


class ProjectRpc(Base):
    """CreateProject, ListProjects, GetProject, UpdateProject, DeleteProject."""

    async def CreateProject(
        self, request: svc.CreateProjectRequest, context: Context
    ) -> svc.CreateProjectResponse:
        """Create a project."""
        view = await self._s.projects.create(
            principal=get_principal(), name=request.name, slug=request.slug, description=request.description
        )
        return svc.CreateProjectResponse(project=m.project(view))

    async def ListProjects(
        self, request: svc.ListProjectsRequest, context: Context
    ) -> svc.ListProjectsResponse:
        """The org's projects."""
        views = await self._s.projects.list(principal=get_principal())
        return svc.ListProjectsResponse(projects=[m.project(v) for v in views])

    async def GetProject(self, request: svc.GetProjectRequest, context: Context) -> svc.GetProjectResponse:
        """One project."""
        view = await self._s.projects.get(principal=get_principal(), project_id=request.project_id)
        return svc.GetProjectResponse(project=m.project(view))

    async def UpdateProject(
        self, request: svc.UpdateProjectRequest, context: Context
    ) -> svc.UpdateProjectResponse:
        """Change a project."""
        patch = ProjectPatch(
            name=_opt(request, "name"), slug=_opt(request, "slug"), description=_opt(request, "description")
        )
        view = await self._s.projects.update(
            principal=get_principal(), project_id=request.project_id, patch=patch
        )
        return svc.UpdateProjectResponse(project=m.project(view))

    async def DeleteProject(
        self, request: svc.DeleteProjectRequest, context: Context
    ) -> svc.DeleteProjectResponse:
        """Delete a project without apps."""
        await self._s.projects.delete(principal=get_principal(), project_id=request.project_id)
        return svc.DeleteProjectResponse(deleted=True)
