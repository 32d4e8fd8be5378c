"""The deploy service as the gateway sees it: one method per RPC (principal, request id, deadline)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from switchyard.deploy.v1 import deploy_service_pb2 as pb
from switchyard.deploy.v1 import deploy_service_pb2_grpc as pb_grpc
from switchyard.deploy.v1 import deployments_pb2 as dpb
from switchyard.deploy.v1 import domains_pb2
from switchyard.deploy.v1 import hooks_pb2 as hpb
from switchyard.gateway.clients._base import ServiceClient
from switchyard.grpckit.client import call_metadata
from switchyard.grpckit.principal import Principal

if TYPE_CHECKING:
    import grpc


class DeployClient(ServiceClient):
    """Async client of ``switchyard.deploy.v1.DeployService``.

    Args:
        channel: A channel to deploy (round robin over its replicas).
        signer: Signs the principal of each call.
        timeout: Deadline of each call, in seconds.
    """

    stub_type = pb_grpc.DeployServiceStub

    async def create_project(
        self, principal: Principal, request: pb.CreateProjectRequest
    ) -> pb.CreateProjectResponse:
        """Creates a project in the caller's org."""
        result: pb.CreateProjectResponse = await self._call("CreateProject", request, principal)
        return result

    async def list_projects(
        self, principal: Principal, request: pb.ListProjectsRequest
    ) -> pb.ListProjectsResponse:
        """Lists the org's projects, oldest first."""
        result: pb.ListProjectsResponse = await self._call("ListProjects", request, principal)
        return result

    async def get_project(self, principal: Principal, request: pb.GetProjectRequest) -> pb.GetProjectResponse:
        """Reads one project."""
        result: pb.GetProjectResponse = await self._call("GetProject", request, principal)
        return result

    async def update_project(
        self, principal: Principal, request: pb.UpdateProjectRequest
    ) -> pb.UpdateProjectResponse:
        """Changes the fields that are set."""
        result: pb.UpdateProjectResponse = await self._call("UpdateProject", request, principal)
        return result

    async def delete_project(
        self, principal: Principal, request: pb.DeleteProjectRequest
    ) -> pb.DeleteProjectResponse:
        """Deletes a project without apps."""
        result: pb.DeleteProjectResponse = await self._call("DeleteProject", request, principal)
        return result

    async def create_app(self, principal: Principal, request: pb.CreateAppRequest) -> pb.CreateAppResponse:
        """Creates an app and its "production" environment."""
        result: pb.CreateAppResponse = await self._call("CreateApp", request, principal)
        return result

    async def list_apps(self, principal: Principal, request: pb.ListAppsRequest) -> pb.ListAppsResponse:
        """Lists the org's apps, oldest first, optionally of one project."""
        result: pb.ListAppsResponse = await self._call("ListApps", request, principal)
        return result

    async def get_app(self, principal: Principal, request: pb.GetAppRequest) -> pb.GetAppResponse:
        """Reads one app."""
        result: pb.GetAppResponse = await self._call("GetApp", request, principal)
        return result

    async def update_app(self, principal: Principal, request: pb.UpdateAppRequest) -> pb.UpdateAppResponse:
        """Changes the fields that are set."""
        result: pb.UpdateAppResponse = await self._call("UpdateApp", request, principal)
        return result

    async def delete_app(self, principal: Principal, request: pb.DeleteAppRequest) -> pb.DeleteAppResponse:
        """Deletes an app with its environments and env vars."""
        result: pb.DeleteAppResponse = await self._call("DeleteApp", request, principal)
        return result

    async def list_environments(
        self, principal: Principal, request: pb.ListEnvironmentsRequest
    ) -> pb.ListEnvironmentsResponse:
        """Lists an app's environments by name."""
        result: pb.ListEnvironmentsResponse = await self._call("ListEnvironments", request, principal)
        return result

    async def create_environment(
        self, principal: Principal, request: pb.CreateEnvironmentRequest
    ) -> pb.CreateEnvironmentResponse:
        """Adds an environment to an app."""
        result: pb.CreateEnvironmentResponse = await self._call("CreateEnvironment", request, principal)
        return result

    async def delete_environment(
        self, principal: Principal, request: pb.DeleteEnvironmentRequest
    ) -> pb.DeleteEnvironmentResponse:
        """Deletes an environment and its env vars."""
        result: pb.DeleteEnvironmentResponse = await self._call("DeleteEnvironment", request, principal)
        return result

    async def list_env_vars(
        self, principal: Principal, request: pb.ListEnvVarsRequest
    ) -> pb.ListEnvVarsResponse:
        """Lists an environment's env vars by key, masked."""
        result: pb.ListEnvVarsResponse = await self._call("ListEnvVars", request, principal)
        return result

    async def put_env_vars(
        self, principal: Principal, request: pb.PutEnvVarsRequest
    ) -> pb.PutEnvVarsResponse:
        """Sets many env vars in one transaction."""
        result: pb.PutEnvVarsResponse = await self._call("PutEnvVars", request, principal)
        return result

    async def update_env_var(
        self, principal: Principal, request: pb.UpdateEnvVarRequest
    ) -> pb.UpdateEnvVarResponse:
        """Replaces the value of an existing env var."""
        result: pb.UpdateEnvVarResponse = await self._call("UpdateEnvVar", request, principal)
        return result

    async def delete_env_var(
        self, principal: Principal, request: pb.DeleteEnvVarRequest
    ) -> pb.DeleteEnvVarResponse:
        """Removes one env var."""
        result: pb.DeleteEnvVarResponse = await self._call("DeleteEnvVar", request, principal)
        return result

    async def reveal_env_var(
        self, principal: Principal, request: pb.RevealEnvVarRequest
    ) -> pb.RevealEnvVarResponse:
        """Returns one plaintext value to an org admin/owner with a reason."""
        result: pb.RevealEnvVarResponse = await self._call("RevealEnvVar", request, principal)
        return result

    async def clone_env_vars(
        self, principal: Principal, request: pb.CloneEnvVarsRequest
    ) -> pb.CloneEnvVarsResponse:
        """Copies every env var of one environment of an app to another."""
        result: pb.CloneEnvVarsResponse = await self._call("CloneEnvVars", request, principal)
        return result

    async def get_server_placement(
        self, principal: Principal, request: pb.GetServerPlacementRequest
    ) -> pb.GetServerPlacementResponse:
        """Reads a server's placement."""
        result: pb.GetServerPlacementResponse = await self._call("GetServerPlacement", request, principal)
        return result

    async def set_server_labels(
        self, principal: Principal, request: pb.SetServerLabelsRequest
    ) -> pb.SetServerLabelsResponse:
        """Replaces a server's labels."""
        result: pb.SetServerLabelsResponse = await self._call("SetServerLabels", request, principal)
        return result

    async def cordon_server(
        self, principal: Principal, request: pb.CordonServerRequest
    ) -> pb.CordonServerResponse:
        """Stops new deployments from targeting the server."""
        result: pb.CordonServerResponse = await self._call("CordonServer", request, principal)
        return result

    async def uncordon_server(
        self, principal: Principal, request: pb.UncordonServerRequest
    ) -> pb.UncordonServerResponse:
        """Lets deployments target the server again."""
        result: pb.UncordonServerResponse = await self._call("UncordonServer", request, principal)
        return result

    async def drain_server(
        self, principal: Principal, request: pb.DrainServerRequest
    ) -> pb.DrainServerResponse:
        """Cordons the server and marks it draining."""
        result: pb.DrainServerResponse = await self._call("DrainServer", request, principal)
        return result

    async def undrain_server(
        self, principal: Principal, request: pb.UndrainServerRequest
    ) -> pb.UndrainServerResponse:
        """Clears draining and cordoned."""
        result: pb.UndrainServerResponse = await self._call("UndrainServer", request, principal)
        return result

    async def create_pool(self, principal: Principal, request: pb.CreatePoolRequest) -> pb.CreatePoolResponse:
        """Creates a server pool."""
        result: pb.CreatePoolResponse = await self._call("CreatePool", request, principal)
        return result

    async def list_pools(self, principal: Principal, request: pb.ListPoolsRequest) -> pb.ListPoolsResponse:
        """Lists the org's pools by name."""
        result: pb.ListPoolsResponse = await self._call("ListPools", request, principal)
        return result

    async def delete_pool(self, principal: Principal, request: pb.DeletePoolRequest) -> pb.DeletePoolResponse:
        """Deletes a pool."""
        result: pb.DeletePoolResponse = await self._call("DeletePool", request, principal)
        return result

    async def assign_server_pool(
        self, principal: Principal, request: pb.AssignServerPoolRequest
    ) -> pb.AssignServerPoolResponse:
        """Puts a server in a pool of its org."""
        result: pb.AssignServerPoolResponse = await self._call("AssignServerPool", request, principal)
        return result

    async def list_changes(
        self, principal: Principal, request: pb.ListChangesRequest
    ) -> pb.ListChangesResponse:
        """Pages the org's change feed, newest first."""
        result: pb.ListChangesResponse = await self._call("ListChanges", request, principal)
        return result

    async def create_deployment(
        self, principal: Principal, request: dpb.CreateDeploymentRequest
    ) -> dpb.CreateDeploymentResponse:
        """Deploys an app's current spec to an environment."""
        result: dpb.CreateDeploymentResponse = await self._call("CreateDeployment", request, principal)
        return result

    async def list_deployments(
        self, principal: Principal, request: dpb.ListDeploymentsRequest
    ) -> dpb.ListDeploymentsResponse:
        """Lists an app's deployments, newest first."""
        result: dpb.ListDeploymentsResponse = await self._call("ListDeployments", request, principal)
        return result

    async def get_deployment(
        self, principal: Principal, request: dpb.GetDeploymentRequest
    ) -> dpb.GetDeploymentResponse:
        """Gets one deployment."""
        result: dpb.GetDeploymentResponse = await self._call("GetDeployment", request, principal)
        return result

    async def deployment_action(
        self, principal: Principal, action: str, deployment_id: str
    ) -> dpb.Deployment:
        """``Cancel|Rollback|Approve``Deployment: the deployment it answers with."""
        request = getattr(dpb, f"{action}DeploymentRequest")(deployment_id=deployment_id)
        result = await self._call(f"{action}Deployment", request, principal)
        deployment: dpb.Deployment = result.deployment
        return deployment

    async def reject_deployment(
        self, principal: Principal, request: dpb.RejectDeploymentRequest
    ) -> dpb.RejectDeploymentResponse:
        """Rejects a deployment waiting for approval."""
        result: dpb.RejectDeploymentResponse = await self._call("RejectDeployment", request, principal)
        return result

    async def set_environment_approval(
        self, principal: Principal, request: dpb.SetEnvironmentApprovalRequest
    ) -> dpb.SetEnvironmentApprovalResponse:
        """Turns an environment's approval requirement on or off."""
        result: dpb.SetEnvironmentApprovalResponse = await self._call(
            "SetEnvironmentApproval", request, principal
        )
        return result

    def watch_deployment_events(
        self, principal: Principal, request: dpb.WatchDeploymentEventsRequest, *, max_seconds: float
    ) -> grpc.aio.UnaryStreamCall[Any, dpb.WatchDeploymentEventsResponse]:
        """``WatchDeploymentEvents``: the open call (deadline ``max_seconds``); the caller must cancel it."""
        metadata = call_metadata(self._signer.sign(principal), principal.request_id)
        call: grpc.aio.UnaryStreamCall[Any, dpb.WatchDeploymentEventsResponse] = (
            self._stub.WatchDeploymentEvents(request, metadata=metadata, timeout=max_seconds)
        )
        return call

    async def create_deploy_hook(
        self, principal: Principal, request: hpb.CreateDeployHookRequest
    ) -> hpb.CreateDeployHookResponse:
        """Creates a deploy hook (its token is in this answer only)."""
        result: hpb.CreateDeployHookResponse = await self._call("CreateDeployHook", request, principal)
        return result

    async def list_deploy_hooks(
        self, principal: Principal, request: hpb.ListDeployHooksRequest
    ) -> hpb.ListDeployHooksResponse:
        """Lists an app's deploy hooks."""
        result: hpb.ListDeployHooksResponse = await self._call("ListDeployHooks", request, principal)
        return result

    async def delete_deploy_hook(
        self, principal: Principal, request: hpb.DeleteDeployHookRequest
    ) -> hpb.DeleteDeployHookResponse:
        """Deletes a deploy hook."""
        result: hpb.DeleteDeployHookResponse = await self._call("DeleteDeployHook", request, principal)
        return result

    async def trigger_deploy_hook(
        self, principal: Principal, request: hpb.TriggerDeployHookRequest
    ) -> hpb.TriggerDeployHookResponse:
        """Deploys with a hook token (the principal is anonymous)."""
        result: hpb.TriggerDeployHookResponse = await self._call("TriggerDeployHook", request, principal)
        return result

    async def create_domain(
        self, principal: Principal, request: domains_pb2.CreateDomainRequest
    ) -> domains_pb2.CreateDomainResponse:
        """Assigns a hostname to an app (ROUTE_ADD to its server)."""
        result: domains_pb2.CreateDomainResponse = await self._call("CreateDomain", request, principal)
        return result

    async def list_domains(
        self, principal: Principal, request: domains_pb2.ListDomainsRequest
    ) -> domains_pb2.ListDomainsResponse:
        """Lists an app's domains."""
        result: domains_pb2.ListDomainsResponse = await self._call("ListDomains", request, principal)
        return result

    async def get_domain(
        self, principal: Principal, request: domains_pb2.GetDomainRequest
    ) -> domains_pb2.GetDomainResponse:
        """Reads one domain of an app."""
        result: domains_pb2.GetDomainResponse = await self._call("GetDomain", request, principal)
        return result

    async def delete_domain(
        self, principal: Principal, request: domains_pb2.DeleteDomainRequest
    ) -> domains_pb2.DeleteDomainResponse:
        """Removes a domain (ROUTE_REMOVE to its server)."""
        result: domains_pb2.DeleteDomainResponse = await self._call("DeleteDomain", request, principal)
        return result
