"""The IngestService servicer: every RPC maps pb to domain, calls one service function, maps back."""

from __future__ import annotations

from switchyard.ingest.rpc._context import Services
from switchyard.ingest.rpc._dsns import DsnRpc
from switchyard.ingest.rpc._groups import GroupRpc, SourceMapRpc
from switchyard.ingest.v1 import ingest_service_pb2_grpc as grpc_api

SERVICE_NAME = "switchyard.ingest.v1.IngestService"


class IngestServicer(DsnRpc, GroupRpc, SourceMapRpc, grpc_api.IngestServiceServicer):
    """Every RPC of ``switchyard.ingest.v1.IngestService``."""


add_to_server = grpc_api.add_IngestServiceServicer_to_server

__all__ = ["SERVICE_NAME", "IngestServicer", "Services", "add_to_server"]
