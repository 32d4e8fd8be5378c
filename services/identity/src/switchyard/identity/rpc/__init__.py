"""The IdentityService servicer: every RPC maps pb to domain, calls one service function, maps back."""

from __future__ import annotations

from switchyard.identity.rpc._auth import AuthRpc
from switchyard.identity.rpc._base import Services
from switchyard.identity.rpc._keys import KeyRpc
from switchyard.identity.rpc._m2m import M2mRpc
from switchyard.identity.rpc._tenants import TenantRpc
from switchyard.identity.v1 import identity_service_pb2_grpc as grpc_api

SERVICE_NAME = "switchyard.identity.v1.IdentityService"


class IdentityServicer(AuthRpc, TenantRpc, KeyRpc, M2mRpc, grpc_api.IdentityServiceServicer):
    """All 32 RPCs of ``switchyard.identity.v1.IdentityService``."""


add_to_server = grpc_api.add_IdentityServiceServicer_to_server

__all__ = ["SERVICE_NAME", "IdentityServicer", "Services", "add_to_server"]
