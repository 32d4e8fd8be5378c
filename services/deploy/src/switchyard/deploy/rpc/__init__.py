"""The DeployService servicer: every RPC maps pb to domain, calls one service function, maps back."""

from __future__ import annotations

from switchyard.deploy.rpc._apps import AppRpc
from switchyard.deploy.rpc._changes import ChangeRpc
from switchyard.deploy.rpc._context import Services
from switchyard.deploy.rpc._deployments import DeploymentRpc
from switchyard.deploy.rpc._domains import DomainRpc
from switchyard.deploy.rpc._envvars import EnvVarRpc
from switchyard.deploy.rpc._hooks import HookRpc
from switchyard.deploy.rpc._placement import PlacementRpc
from switchyard.deploy.rpc._projects import ProjectRpc
from switchyard.deploy.v1 import deploy_service_pb2_grpc as grpc_api

SERVICE_NAME = "switchyard.deploy.v1.DeployService"


class DeployServicer(
    ProjectRpc,
    AppRpc,
    EnvVarRpc,
    PlacementRpc,
    ChangeRpc,
    DeploymentRpc,
    HookRpc,
    DomainRpc,
    grpc_api.DeployServiceServicer,
):
    """Every RPC of ``switchyard.deploy.v1.DeployService``."""


add_to_server = grpc_api.add_DeployServiceServicer_to_server

__all__ = ["SERVICE_NAME", "DeployServicer", "Services", "add_to_server"]
