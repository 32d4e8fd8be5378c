"""Projects, apps and environments: CRUD, slugs, validation naming the field, roles, cross-org NOT_FOUND."""

from __future__ import annotations

import uuid

import grpc
import pytest
from switchyard.deploy.v1 import deploy_service_pb2 as svc

pytestmark = pytest.mark.integration


async def test_project_crud_and_slugs(deploy) -> None:
    org = deploy.new_org()
    shop = await deploy.project(org, "My Shop!", description="the storefront")
    assert (shop.name, shop.slug, shop.description, shop.org_id) == (
        "My Shop!",
        "my-shop",
        "the storefront",
        org,
    )
    taken = await deploy.fails("CreateProject", svc.CreateProjectRequest(name="my shop"), deploy.owner(org))
    assert taken.code() == grpc.StatusCode.ALREADY_EXISTS
    other = await deploy.project(deploy.new_org(), "My Shop!")  # slugs are per org
    assert other.slug == "my-shop"
    blog = await deploy.project(org, "Blog", slug="the-blog")
    listed = await deploy.call("ListProjects", svc.ListProjectsRequest(), deploy.member(org))
    assert [p.id for p in listed.projects] == [shop.id, blog.id]
    patch = svc.UpdateProjectRequest(project_id=blog.id, description="all posts")
    patched = (await deploy.call("UpdateProject", patch, deploy.owner(org))).project
    assert (patched.name, patched.slug, patched.description) == ("Blog", "the-blog", "all posts")
    clash = svc.UpdateProjectRequest(project_id=blog.id, slug="my-shop")
    assert (
        await deploy.fails("UpdateProject", clash, deploy.owner(org))
    ).code() == grpc.StatusCode.ALREADY_EXISTS
    gone = svc.DeleteProjectRequest(project_id=blog.id)
    assert (await deploy.call("DeleteProject", gone, deploy.owner(org))).deleted
    missing = svc.GetProjectRequest(project_id=blog.id)
    assert (await deploy.fails("GetProject", missing, deploy.member(org))).code() == grpc.StatusCode.NOT_FOUND
    types = [c.type for c in await deploy.changes(org, types=["project"])]
    assert types == ["project.delete", "project.update", "project.create", "project.create"]


async def test_bad_input_names_the_field(deploy) -> None:
    org = deploy.new_org()
    project = await deploy.project(org)
    cases = {
        "name": svc.CreateAppRequest(project_id=project.id, name=" ", server_id=str(uuid.uuid4())),
        "slug": svc.CreateAppRequest(
            project_id=project.id, name="A", slug="Bad Slug", server_id=str(uuid.uuid4())
        ),
        "serverId": svc.CreateAppRequest(project_id=project.id, name="A", server_id="not-a-uuid"),
        "port": svc.CreateAppRequest(
            project_id=project.id, name="A", server_id=str(uuid.uuid4()), port=70000
        ),
        "healthCheckPath": svc.CreateAppRequest(
            project_id=project.id, name="A", server_id=str(uuid.uuid4()), health_check_path="health"
        ),
        "startCommand": svc.CreateAppRequest(
            project_id=project.id, name="A", server_id=str(uuid.uuid4()), start_command="a\nb"
        ),
        "projectId": svc.CreateAppRequest(name="A", server_id=str(uuid.uuid4())),
    }
    for field, request in cases.items():
        error = await deploy.fails("CreateApp", request, deploy.owner(org))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, field
        assert field in (error.details() or ""), (field, error.details())
    no_name = await deploy.fails("CreateProject", svc.CreateProjectRequest(name=""), deploy.owner(org))
    assert "name" in (no_name.details() or "")


async def test_app_crud_with_its_production_environment(deploy) -> None:
    org = deploy.new_org()
    project = await deploy.project(org)
    server_id = str(uuid.uuid4())
    app = await deploy.app(
        org,
        project_id=project.id,
        name="API Server",
        server_id=server_id.upper(),
        start_command="python3 -m x",
    )
    assert (app.slug, app.server_id, app.port, app.health_check_path) == ("api-server", server_id, 3000, "/")
    envs = await deploy.call(
        "ListEnvironments", svc.ListEnvironmentsRequest(app_id=app.id), deploy.member(org)
    )
    assert [e.name for e in envs.environments] == ["production"]
    dup = svc.CreateAppRequest(project_id=project.id, name="api server", server_id=server_id)
    assert (await deploy.fails("CreateApp", dup, deploy.owner(org))).code() == grpc.StatusCode.ALREADY_EXISTS
    elsewhere = await deploy.app(org, name="API Server")  # another project: same slug is fine
    assert elsewhere.slug == "api-server"

    update = svc.UpdateAppRequest(
        app_id=app.id, port=8080, health_check_path="/healthz", start_command="secret-cmd"
    )
    updated = (await deploy.call("UpdateApp", update, deploy.owner(org))).app
    assert (updated.port, updated.health_check_path, updated.name) == (8080, "/healthz", "API Server")
    [change] = await deploy.changes(org, types=["app.update"])
    assert deploy.summary(change)["fields"] == ["port", "healthCheckPath", "startCommand"]
    assert "secret-cmd" not in change.summary_json
    listed = await deploy.call("ListApps", svc.ListAppsRequest(project_id=project.id), deploy.member(org))
    assert [a.id for a in listed.apps] == [app.id]
    every = await deploy.call("ListApps", svc.ListAppsRequest(), deploy.member(org))
    assert {a.id for a in every.apps} == {app.id, elsewhere.id}

    in_use = svc.DeleteProjectRequest(project_id=project.id)
    assert (
        await deploy.fails("DeleteProject", in_use, deploy.owner(org))
    ).code() == grpc.StatusCode.FAILED_PRECONDITION
    await deploy.put(org, app.id, {"K": "v"})
    assert (await deploy.call("DeleteApp", svc.DeleteAppRequest(app_id=app.id), deploy.owner(org))).deleted
    get = svc.GetAppRequest(app_id=app.id)
    assert (await deploy.fails("GetApp", get, deploy.member(org))).code() == grpc.StatusCode.NOT_FOUND
    assert (await deploy.call("DeleteProject", in_use, deploy.owner(org))).deleted


async def test_environments_create_and_delete_but_production_stays(deploy) -> None:
    org = deploy.new_org()
    app = await deploy.app(org)
    owner = deploy.owner(org)
    made = await deploy.call(
        "CreateEnvironment", svc.CreateEnvironmentRequest(app_id=app.id, name="staging"), owner
    )
    assert made.environment.name == "staging"
    again = svc.CreateEnvironmentRequest(app_id=app.id, name="staging")
    assert (await deploy.fails("CreateEnvironment", again, owner)).code() == grpc.StatusCode.ALREADY_EXISTS
    bad = svc.CreateEnvironmentRequest(app_id=app.id, name="Staging Two")
    assert (await deploy.fails("CreateEnvironment", bad, owner)).code() == grpc.StatusCode.INVALID_ARGUMENT
    production = svc.DeleteEnvironmentRequest(app_id=app.id, name="production")
    error = await deploy.fails("DeleteEnvironment", production, owner)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    await deploy.put(org, app.id, {"ONLY_HERE": "1"}, environment="staging")
    staging = svc.DeleteEnvironmentRequest(app_id=app.id, name="staging")
    assert (await deploy.call("DeleteEnvironment", staging, owner)).deleted
    assert (await deploy.fails("DeleteEnvironment", staging, owner)).code() == grpc.StatusCode.NOT_FOUND
    envs = await deploy.call("ListEnvironments", svc.ListEnvironmentsRequest(app_id=app.id), owner)
    assert [e.name for e in envs.environments] == ["production"]


async def test_roles_reads_for_members_writes_for_admins_keys_and_services(deploy) -> None:
    org = deploy.new_org()
    for principal in (
        deploy.member(org, "user"),
        deploy.member(org, "admin"),
        deploy.admin_key(org),
        deploy.service(org),
    ):
        await deploy.call("ListProjects", svc.ListProjectsRequest(), principal)
    refused = (deploy.member(org, "user"), deploy.service(""), None)
    for principal in refused:
        error = await deploy.fails("CreateProject", svc.CreateProjectRequest(name="X"), principal)
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    org_key = deploy.owner(org).__class__(kind="org_key", tenant_id=org, scopes=("*",))
    assert (
        await deploy.fails("ListProjects", svc.ListProjectsRequest(), org_key)
    ).code() == grpc.StatusCode.PERMISSION_DENIED
    for index, principal in enumerate(
        (deploy.member(org, "admin"), deploy.admin_key(org), deploy.service(org))
    ):
        await deploy.call("CreateProject", svc.CreateProjectRequest(name=f"P{index}"), principal)
    actors = [c.actor for c in await deploy.changes(org, types=["project.create"])]
    assert actors[0] == "service"
    assert actors[1] == "key:k1"


async def test_another_orgs_ids_are_not_found(deploy) -> None:
    org, other = deploy.new_org(), deploy.new_org()
    theirs = await deploy.app(other)
    me = deploy.owner(org)
    calls = {
        "GetProject": svc.GetProjectRequest(project_id=theirs.project_id),
        "UpdateProject": svc.UpdateProjectRequest(project_id=theirs.project_id, name="mine"),
        "DeleteProject": svc.DeleteProjectRequest(project_id=theirs.project_id),
        "CreateApp": svc.CreateAppRequest(
            project_id=theirs.project_id, name="A", server_id=str(uuid.uuid4())
        ),
        "GetApp": svc.GetAppRequest(app_id=theirs.id),
        "UpdateApp": svc.UpdateAppRequest(app_id=theirs.id, name="mine"),
        "DeleteApp": svc.DeleteAppRequest(app_id=theirs.id),
        "ListEnvironments": svc.ListEnvironmentsRequest(app_id=theirs.id),
        "CreateEnvironment": svc.CreateEnvironmentRequest(app_id=theirs.id, name="x"),
        "DeleteEnvironment": svc.DeleteEnvironmentRequest(app_id=theirs.id, name="production"),
    }
    for method, request in calls.items():
        assert (await deploy.fails(method, request, me)).code() == grpc.StatusCode.NOT_FOUND, method
    listed = await deploy.call("ListApps", svc.ListAppsRequest(project_id=theirs.project_id), me)
    assert list(listed.apps) == []
    assert (
        await deploy.call("GetApp", svc.GetAppRequest(app_id=theirs.id), deploy.owner(other))
    ).app.name == "Web"
