"""``/api/projects``: an org's projects (tenant from ``X-Tenant-ID``; writes need org admin or owner)."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from switchyard.deploy.v1 import deploy_service_pb2 as pb
from switchyard.gateway.auth.deps import TENANT
from switchyard.gateway.domain.deploy import schemas as s
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal

TAGS = ["Deploy"]
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


class ProjectsController(Controller):
    """Projects of the caller's org."""

    path = "/api/projects"
    tags = TAGS
    security = SECURITY
    dependencies = TENANT

    @post(
        "/",
        status_code=201,
        operation_id="createProject",
        description="Create a project in the current tenant. `slug` (lowercase letters, digits and '-', unique in the tenant) is derived from `name` when omitted. Requires org admin or owner; 409 when the slug is taken.",  # noqa: E501
    )
    async def create(
        self,
        data: JSONBody[s.ProjectCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.ProjectEnvelope:
        """Create a project."""
        request = pb.CreateProjectRequest(name=data.name, slug=data.slug, description=data.description)
        response = await gateway.deploy.create_project(principal, request)
        return s.ProjectEnvelope(project=s.project(response.project))

    @get("/", operation_id="listProjects", description="List projects in the current tenant, oldest first.")
    async def list_projects(
        self, principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.ProjectList:
        """The org's projects."""
        response = await gateway.deploy.list_projects(principal, pb.ListProjectsRequest())
        return s.ProjectList(projects=[s.project(p) for p in response.projects])

    @get(
        "/{projectId:str}",
        operation_id="getProject",
        description="Get a project. 404 when it does not exist or belongs to another tenant.",
    )
    async def get_project(
        self,
        projectId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.ProjectEnvelope:
        """One project."""
        response = await gateway.deploy.get_project(principal, pb.GetProjectRequest(project_id=projectId))
        return s.ProjectEnvelope(project=s.project(response.project))

    @patch(
        "/{projectId:str}",
        operation_id="updateProject",
        description="Update a project's name, slug or description (only the fields given). Requires org admin or owner.",  # noqa: E501
    )
    async def update(
        self,
        projectId: FromPath[str],
        data: JSONBody[s.ProjectUpdate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.ProjectEnvelope:
        """Change a project."""
        request = pb.UpdateProjectRequest(
            project_id=projectId, name=data.name, slug=data.slug, description=data.description
        )
        response = await gateway.deploy.update_project(principal, request)
        return s.ProjectEnvelope(project=s.project(response.project))

    @delete(
        "/{projectId:str}",
        status_code=200,
        operation_id="deleteProject",
        description="Delete a project. 409 while it still has apps. Requires org admin or owner.",
    )
    async def remove(
        self,
        projectId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Deleted:
        """Delete a project."""
        response = await gateway.deploy.delete_project(
            principal, pb.DeleteProjectRequest(project_id=projectId)
        )
        return s.Deleted(deleted=response.deleted)
