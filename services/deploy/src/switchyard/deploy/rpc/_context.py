"""What every servicer mixin shares: the domain services and the servicer context type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import grpc
from switchyard.deploy.domain.apps.environments import EnvironmentService
from switchyard.deploy.domain.apps.service import AppService
from switchyard.deploy.domain.changes.service import ChangeService
from switchyard.deploy.domain.deployments.service import DeploymentService
from switchyard.deploy.domain.domains.service import DomainService
from switchyard.deploy.domain.envvars.service import EnvVarService
from switchyard.deploy.domain.hooks.service import HookService
from switchyard.deploy.domain.placement.service import PlacementService
from switchyard.deploy.domain.projects.service import ProjectService
from switchyard.deploy.progress import JetStreamProgressLog

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


@dataclass(frozen=True, slots=True)
class Services:
    """The domain services one servicer calls."""

    projects: ProjectService
    apps: AppService
    environments: EnvironmentService
    env_vars: EnvVarService
    placement: PlacementService
    changes: ChangeService
    deployments: DeploymentService
    hooks: HookService
    progress: JetStreamProgressLog
    domains: DomainService


class Base:
    """Holds the services; every mixin reads ``self._s``."""

    def __init__(self, services: Services) -> None:
        self._s = services
