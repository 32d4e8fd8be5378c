"""The agents service as the domain's ``AgentCommands``: its internal gRPC API with a service principal."""

from __future__ import annotations

import json
from typing import Any

import grpc
from switchyard.agents.v1 import agents_pb2
from switchyard.agents.v1 import agents_service_pb2 as asvc
from switchyard.agents.v1 import agents_service_pb2_grpc as agrpc
from switchyard.deploy.domain.ports import AgentCommand
from switchyard.grpckit.client import call_metadata, create_channel
from switchyard.grpckit.errors import Conflict, InvalidArgument, NotFound, Unavailable
from switchyard.grpckit.principal import SERVICE, Principal, PrincipalSigner
from switchyard.obs import request_id_var

# Codes that mean "no such command/server for this org" rather than an outage.
_ABSENT = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT)


def _command(proto: agents_pb2.AgentCommand) -> AgentCommand:
    return AgentCommand(
        id=proto.id, server_id=proto.server_id, type=proto.type, status=proto.status, output=proto.output
    )


def _raise(exc: grpc.aio.AioRpcError) -> None:
    # The agents service's message is written for operators and names the field; keep it.
    detail = exc.details() or "agents service error"
    code = exc.code()
    if code == grpc.StatusCode.NOT_FOUND:
        raise NotFound(detail) from exc
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        raise InvalidArgument(detail) from exc
    if code in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.ABORTED):
        raise Conflict(detail) from exc
    raise Unavailable("agents service unavailable") from exc


class AgentsCommands:
    """Issues, reads and cancels agent commands for an org, acting as the deploy service."""

    def __init__(self, *, addr: str, principal_key: bytes, timeout: float) -> None:
        self._channel = create_channel(addr)
        self._stub = agrpc.AgentsServiceStub(self._channel)  # type: ignore[no-untyped-call]
        self._signer = PrincipalSigner(principal_key)
        self._timeout = timeout

    def _metadata(self, org_id: str) -> tuple[tuple[str, str], ...]:
        request_id = request_id_var.get()
        token = self._signer.sign(Principal(kind=SERVICE, tenant_id=org_id, request_id=request_id))
        return call_metadata(token, request_id)

    async def issue(
        self,
        *,
        org_id: str,
        server_id: str,
        type: int,
        payload: dict[str, Any],
        command_id: str = "",
        secret_payload: dict[str, Any] | None = None,
    ) -> AgentCommand:
        """Queue a command for the server's agent (idempotent with a ``command_id``)."""
        request = asvc.IssueCommandRequest(
            server_id=server_id,
            type=type,
            payload_json=json.dumps(payload),
            command_id=command_id,
            secret_payload_json=json.dumps(secret_payload) if secret_payload else "",
        )
        try:
            response = await self._stub.IssueCommand(
                request, metadata=self._metadata(org_id), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as exc:
            _raise(exc)
        return _command(response.command)

    async def get(self, *, org_id: str, command_id: str) -> AgentCommand | None:
        """The command as stored, or None when the org has no such command."""
        try:
            response = await self._stub.GetCommand(
                asvc.GetCommandRequest(command_id=command_id),
                metadata=self._metadata(org_id),
                timeout=self._timeout,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in _ABSENT:
                return None
            _raise(exc)
        return _command(response.command)

    async def cancel(self, *, org_id: str, command_id: str) -> AgentCommand | None:
        """Cancel a command; None when the org has no such command."""
        try:
            await self._stub.CancelCommand(
                asvc.CancelCommandRequest(command_id=command_id),
                metadata=self._metadata(org_id),
                timeout=self._timeout,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in _ABSENT:
                return None
            # An already-finished command answers FAILED_PRECONDITION: report its state instead.
            if exc.code() != grpc.StatusCode.FAILED_PRECONDITION:
                _raise(exc)
        return await self.get(org_id=org_id, command_id=command_id)

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()
