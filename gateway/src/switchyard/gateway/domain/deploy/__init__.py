"""Deploy control over HTTP: projects, apps, environments, env vars, server placement, pools, changes."""

from switchyard.gateway.domain.deploy.apps import AppsController
from switchyard.gateway.domain.deploy.changes import ChangesController
from switchyard.gateway.domain.deploy.deployments import AppDeploymentsController, DeploymentsController
from switchyard.gateway.domain.deploy.envvars import EnvVarsController
from switchyard.gateway.domain.deploy.hooks import AppHooksController, HookTriggerController
from switchyard.gateway.domain.deploy.placement import PoolsController, ServerPlacementController
from switchyard.gateway.domain.deploy.projects import ProjectsController

ROUTES = [
    ProjectsController,
    AppsController,
    EnvVarsController,
    ServerPlacementController,
    PoolsController,
    ChangesController,
    AppDeploymentsController,
    DeploymentsController,
    AppHooksController,
    HookTriggerController,
]

__all__ = ["ROUTES"]
