"""The AgentsService servicer: each mixin maps its RPCs (pb <-> domain) onto one domain service."""

from __future__ import annotations

from switchyard.agents.domain.enrolment.service import EnrolmentService
from switchyard.agents.rpc._enrolment import EnrolmentRpc
from switchyard.agents.v1 import agents_service_pb2_grpc as grpc_api

SERVICE_NAME = "switchyard.agents.v1.AgentsService"


class AgentsServicer(EnrolmentRpc, grpc_api.AgentsServiceServicer):
    """Every RPC of ``switchyard.agents.v1.AgentsService`` (mixins are added as they land).

    Args:
        enrolment: Install tokens, registration, refresh-token rotation, recovery and revocation.
    """

    def __init__(self, *, enrolment: EnrolmentService) -> None:
        self._enrolment = enrolment


add_to_server = grpc_api.add_AgentsServiceServicer_to_server

__all__ = ["SERVICE_NAME", "AgentsServicer", "add_to_server"]
