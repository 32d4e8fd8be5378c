"""The WorkersService servicer: every RPC maps pb to domain, calls one service function, maps back."""

from __future__ import annotations

from switchyard.workers.rpc._base import Services
from switchyard.workers.rpc._credentials import CredentialsRpc
from switchyard.workers.rpc._files import FilesRpc
from switchyard.workers.rpc._fleet import FleetRpc
from switchyard.workers.rpc._inbox import InboxRpc
from switchyard.workers.rpc._public import PublicRpc
from switchyard.workers.rpc._routing import RoutingRpc
from switchyard.workers.rpc._sessions import SessionRpc
from switchyard.workers.v1 import workers_service_pb2_grpc as grpc_api

SERVICE_NAME = "switchyard.workers.v1.WorkersService"


class WorkersServicer(
    FleetRpc,
    SessionRpc,
    InboxRpc,
    FilesRpc,
    PublicRpc,
    RoutingRpc,
    CredentialsRpc,
    grpc_api.WorkersServiceServicer,
):
    """Every RPC of ``switchyard.workers.v1.WorkersService``."""


add_to_server = grpc_api.add_WorkersServiceServicer_to_server

__all__ = ["SERVICE_NAME", "Services", "WorkersServicer", "add_to_server"]
