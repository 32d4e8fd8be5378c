"""Command RPCs of AgentsService: issue, run, read, page, cancel, queue depth, drain."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from switchyard.agents.domain.commands.service import CommandService
from switchyard.agents.rpc import _mapping as m
from switchyard.agents.v1 import agents_service_pb2 as svc
from switchyard.grpckit.principal import get_principal

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class CommandsMixin:
    """IssueCommand, RunCommand, GetCommand, ListCommands, CancelCommand, GetQueueDepth, DrainQueue."""

    _commands: CommandService

    async def IssueCommand(
        self, request: svc.IssueCommandRequest, context: Context
    ) -> svc.IssueCommandResponse:
        """Queue a command and return at once."""
        view = await self._commands.issue(
            principal=get_principal(),
            server_id=request.server_id,
            type=request.type,
            payload_json=request.payload_json,
            command_id=request.command_id,
            secret_payload_json=request.secret_payload_json,
        )
        return svc.IssueCommandResponse(command=m.command(view))

    async def RunCommand(self, request: svc.RunCommandRequest, context: Context) -> svc.RunCommandResponse:
        """Issue a command and wait for its final frame (or the timeout)."""
        view = await self._commands.run_for(
            principal=get_principal(),
            server_id=request.server_id,
            type=request.type,
            payload_json=request.payload_json,
            timeout_ms=request.timeout_ms,
        )
        return svc.RunCommandResponse(command=m.command(view))

    async def GetCommand(self, request: svc.GetCommandRequest, context: Context) -> svc.GetCommandResponse:
        """One command of the caller's org."""
        view = await self._commands.get(principal=get_principal(), command_id=request.command_id)
        return svc.GetCommandResponse(command=m.command(view))

    async def ListCommands(
        self, request: svc.ListCommandsRequest, context: Context
    ) -> svc.ListCommandsResponse:
        """A page of a server's history, newest first."""
        page = await self._commands.history(
            principal=get_principal(),
            server_id=request.server_id,
            limit=request.limit,
            cursor=request.cursor,
            statuses=list(request.statuses),
        )
        return svc.ListCommandsResponse(
            commands=[m.command(v) for v in page.commands], next_cursor=page.next_cursor
        )

    async def CancelCommand(
        self, request: svc.CancelCommandRequest, context: Context
    ) -> svc.CancelCommandResponse:
        """Cancel a pending command, or send CANCEL_COMMAND for a dispatched/running one."""
        outcome = await self._commands.cancel(principal=get_principal(), command_id=request.command_id)
        return svc.CancelCommandResponse(
            cancelled=outcome.cancelled, cancel_command_id=outcome.cancel_command_id, status=outcome.status
        )

    async def GetQueueDepth(
        self, request: svc.GetQueueDepthRequest, context: Context
    ) -> svc.GetQueueDepthResponse:
        """Unfinished commands by state."""
        depth = await self._commands.depth(principal=get_principal(), server_id=request.server_id)
        return svc.GetQueueDepthResponse(
            pending=depth.pending, dispatched=depth.dispatched, running=depth.running
        )

    async def DrainQueue(self, request: svc.DrainQueueRequest, context: Context) -> svc.DrainQueueResponse:
        """Cancel every pending command of the server."""
        drained = await self._commands.drain(principal=get_principal(), server_id=request.server_id)
        return svc.DrainQueueResponse(drained=drained)
