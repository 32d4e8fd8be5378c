"""The AgentsService servicer: each mixin maps its RPCs (pb <-> domain) onto one domain service."""

from __future__ import annotations

from switchyard.agents.domain.commands.service import CommandService
from switchyard.agents.domain.enrolment.service import EnrolmentService
from switchyard.agents.domain.operator.service import OperatorService
from switchyard.agents.domain.routes.service import RouteService
from switchyard.agents.domain.servers.service import ServerService
from switchyard.agents.rpc._commands import CommandsMixin
from switchyard.agents.rpc._enrolment import EnrolmentRpc
from switchyard.agents.rpc._operator import OperatorMixin
from switchyard.agents.rpc._routes import RoutesMixin
from switchyard.agents.rpc._servers import ServersMixin
from switchyard.agents.v1 import agents_service_pb2_grpc as grpc_api

SERVICE_NAME = "switchyard.agents.v1.AgentsService"


class AgentsServicer(
    EnrolmentRpc, ServersMixin, CommandsMixin, OperatorMixin, RoutesMixin, grpc_api.AgentsServiceServicer
):
    """Every RPC of ``switchyard.agents.v1.AgentsService``.

    Args:
        enrolment: Install tokens, registration, refresh-token rotation, recovery and revocation.
        servers: Server reads, status probes and operator actions.
        commands: Durable commands and their history.
        operator: Re-enrolment, Dwaar config revisions and the deploy-net table.
        routes: Canonical routes, the Dwaar route diff and reconcile.
    """

    def __init__(
        self,
        *,
        enrolment: EnrolmentService,
        servers: ServerService,
        commands: CommandService,
        operator: OperatorService,
        routes: RouteService,
    ) -> None:
        self._enrolment = enrolment
        self._servers = servers
        self._commands = commands
        self._operator = operator
        self._routes = routes


add_to_server = grpc_api.add_AgentsServiceServicer_to_server

__all__ = ["SERVICE_NAME", "AgentsServicer", "add_to_server"]
