"""``agent.v1.AgentService``: pb <-> domain for what authenticated agents send."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any, Protocol, TypeAlias

import grpc
import nats.js
from agent.v1 import agent_pb2
from switchyard.agents.agent_api.auth import require_agent
from switchyard.agents.agent_api.hub import StreamHub, StreamSession
from switchyard.agents.domain.agent.service import AgentIdentity, AgentSideService
from switchyard.agents.domain.common import Clock
from switchyard.agents.events import LOGS_RECEIVED
from switchyard.agents.rpc import _mapping as m
from switchyard.agents.v1 import events_pb2
from switchyard.bus import publish
from switchyard.grpckit.errors import DomainError, InvalidArgument, PermissionDenied
from switchyard.obs import get_logger

log = get_logger(__name__)
Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

SERVICE_NAME = "agent.v1.AgentService"
# What the agent's own spool sends is <= 100 records / 1 MiB per batch; anything far above is refused.
LOG_BATCH_MAX_ENTRIES = 5000
SPANS_REFUSED = "spans are not ingested here"
OBSERVE_REFUSED = "observe events are not ingested here"


class Unimplemented(DomainError):
    """The RPC exists on the wire but this control plane does not serve it (gRPC UNIMPLEMENTED)."""

    code = "UNIMPLEMENTED"


class AppContainers(Protocol):
    """Which app and deployment each container of a server belongs to (deploy fills this in later)."""

    async def for_server(self, server_id: str) -> list[agent_pb2.AppContainerMapping]:
        """The mapping sent with every heartbeat answer."""


class NoAppContainers:
    """Until deploy owns apps, no container belongs to one."""

    async def for_server(self, server_id: str) -> list[agent_pb2.AppContainerMapping]:
        """An empty mapping."""
        return []


class ServerRoutes(Protocol):
    """The canonical routes of a server (deploy's snapshots, kept by the routes consumer)."""

    async def for_server(self, server_id: str) -> list[agent_pb2.ServerRoute]:
        """What ListServerRoutes answers."""


class NoServerRoutes:
    """Without a route source, no server has routes."""

    async def for_server(self, server_id: str) -> list[agent_pb2.ServerRoute]:
        """An empty list."""
        return []


class AgentApiServicer:
    """Every RPC of ``agent.v1.AgentService`` (registered with ``add_to_server`` below)."""

    def __init__(
        self,
        *,
        agents: AgentSideService,
        hub: StreamHub,
        js: nats.js.JetStreamContext,
        clock: Clock,
        heartbeat_interval_seconds: int,
        max_payload: int,
        containers: AppContainers | None = None,
        routes: ServerRoutes | None = None,
    ) -> None:
        self._agents = agents
        self._hub = hub
        self._js = js
        self._clock = clock
        self._interval = heartbeat_interval_seconds
        self._max_payload = max_payload
        self._containers = containers or NoAppContainers()
        self._routes = routes or NoServerRoutes()

    def _monitoring(self) -> agent_pb2.MonitoringConfig:
        return agent_pb2.MonitoringConfig(
            config_version=1,
            system_interval_seconds=self._interval,
            container_interval_seconds=self._interval,
            service_interval_seconds=60,
            slow_query_interval_seconds=300,
        )

    async def Heartbeat(
        self, request: agent_pb2.HeartbeatRequest, context: Context
    ) -> agent_pb2.HeartbeatResponse:
        """Store the snapshot; answer the interval, monitoring config and container mapping."""
        agent = require_agent()
        presence = m.heartbeat_presence(request, self._clock())
        await self._agents.heartbeat(agent=agent, presence=presence, raw=request.SerializeToString())
        return agent_pb2.HeartbeatResponse(
            accepted=True,
            heartbeat_interval_seconds=self._interval,
            monitoring_config=self._monitoring(),
            app_containers=await self._containers.for_server(agent.server_id),
        )

    async def _read_results(
        self,
        frames: AsyncIterator[agent_pb2.CommandResult | None],
        agent: AgentIdentity,
        session: StreamSession,
    ) -> None:
        try:
            async for frame in frames:
                if frame is None:
                    log.warning("malformed result frame ignored", server_id=agent.server_id)
                    continue
                try:
                    await self._agents.result(
                        agent=agent,
                        command_id=frame.command_id,
                        status=frame.status,
                        output=frame.output,
                        is_final=frame.is_final,
                    )
                except Exception:
                    # One bad frame (or a database hiccup) must not end the agent's control loop.
                    log.exception("result frame not applied", server_id=agent.server_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.info("command stream read ended", server_id=agent.server_id, exc_info=True)
        finally:
            session.close("agent closed its stream")

    async def CommandStream(
        self, request_iterator: AsyncIterator[agent_pb2.CommandResult | None], context: Context
    ) -> AsyncIterator[agent_pb2.Command]:
        """Push commands down the agent's stream; apply the result frames it sends back."""
        agent = require_agent()
        async with self._hub.attach(agent) as session:
            reader = asyncio.create_task(self._read_results(request_iterator, agent, session))
            try:
                while True:
                    command = await session.queue.get()
                    if command is None:
                        break
                    yield command
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reader

    async def AckCommand(
        self, request: agent_pb2.CommandAck, context: Context
    ) -> agent_pb2.CommandAckResponse:
        """pending -> dispatched for the caller's own command; unknown ids change nothing."""
        agent = require_agent()
        if not request.server_id or request.server_id == agent.server_id:
            await self._agents.ack(agent=agent, command_id=request.command_id)
        return agent_pb2.CommandAckResponse()

    def _refusal(self, batch: agent_pb2.LogBatch | None, agent: AgentIdentity) -> str:
        if batch is None:
            return "malformed log batch"
        if batch.server_id and batch.server_id != agent.server_id:
            return "log batch server_id is not the authenticated server"
        if len(batch.entries) > LOG_BATCH_MAX_ENTRIES:
            return f"log batch has more than {LOG_BATCH_MAX_ENTRIES} entries"
        if batch.ByteSize() > self._max_payload:
            return f"log batch is larger than {self._max_payload} bytes"
        return ""

    async def _forward(self, batch: agent_pb2.LogBatch, agent: AgentIdentity) -> str:
        event = events_pb2.AgentLogsReceived(
            org_id=agent.org_id, server_id=agent.server_id, batch=batch, received_at=m.ts(self._clock())
        )
        try:
            await publish(self._js, LOGS_RECEIVED, event.SerializeToString(), msg_id=str(uuid.uuid4()))
        except Exception:
            log.warning("log batch not forwarded", server_id=agent.server_id, exc_info=True)
            return "log ingest unavailable, retry later"
        return ""

    async def PushLogs(
        self, request_iterator: AsyncIterator[agent_pb2.LogBatch | None], context: Context
    ) -> agent_pb2.LogAck:
        """Forward each batch to JetStream (``agents.logs.received``); refuse bad ones in the ack."""
        agent = require_agent()
        received, error = 0, ""
        async for batch in request_iterator:
            refusal = self._refusal(batch, agent)
            if not refusal and batch is not None:
                refusal = await self._forward(batch, agent)
                received += 0 if refusal else len(batch.entries)
            error = error or refusal
        return agent_pb2.LogAck(accepted=not error, received_count=received, error_message=error)

    async def ListServerRoutes(
        self, request: agent_pb2.ListServerRoutesRequest, context: Context
    ) -> agent_pb2.ListServerRoutesResponse:
        """The canonical routes of the caller's server (deploy's latest snapshot)."""
        agent = require_agent()
        if request.server_id and request.server_id != agent.server_id:
            raise PermissionDenied("an agent may only list its own server's routes")
        return agent_pb2.ListServerRoutesResponse(routes=await self._routes.for_server(agent.server_id))

    async def PushSpans(
        self, request_iterator: AsyncIterator[agent_pb2.SpanBatch | None], context: Context
    ) -> agent_pb2.SpanAck:
        """Not ingested here: read the batches and say so."""
        require_agent()
        async for _ in request_iterator:
            pass
        return agent_pb2.SpanAck(accepted=False, received_count=0, error_message=SPANS_REFUSED)

    async def ForwardObserveEvent(
        self, request: agent_pb2.ObserveEventRequest, context: Context
    ) -> agent_pb2.ObserveEventResponse:
        """Not ingested here."""
        require_agent()
        return agent_pb2.ObserveEventResponse(accepted=False, error=OBSERVE_REFUSED)

    async def DownloadAgentBinary(
        self, request: agent_pb2.DownloadAgentBinaryRequest | None, context: Context
    ) -> AsyncIterator[agent_pb2.AgentBinaryChunk]:
        """Not served here (agents update from release artifacts)."""
        require_agent()
        if request is None:
            raise InvalidArgument(_malformed(agent_pb2.DownloadAgentBinaryRequest))
        raise Unimplemented("agent binaries are not served by this control plane; install from the release")
        yield  # pragma: no cover - makes this an async generator, as the streaming RPC needs


def _tolerant(message: Any) -> Any:
    # A frame that does not parse becomes None for the handler to skip, instead of failing the call.
    def parse(raw: bytes) -> Any:
        try:
            return message.FromString(raw)
        except Exception:
            return None

    return parse


def _malformed(message: Any) -> str:
    return f"request is not a valid {message.DESCRIPTOR.full_name} (malformed protobuf payload)"


def _unary(behavior: Any, message: Any, response: Any) -> grpc.RpcMethodHandler:
    # Parsed tolerantly so that the auth interceptor answers first (UNAUTHENTICATED) and an authenticated
    # call with a payload that does not parse gets INVALID_ARGUMENT instead of grpc's bare INTERNAL.
    async def call(request: Any, context: Context) -> Any:
        if request is None:
            require_agent()
            raise InvalidArgument(_malformed(message))
        return await behavior(request, context)

    return grpc.unary_unary_rpc_method_handler(call, _tolerant(message), response.SerializeToString)


def add_to_server(servicer: AgentApiServicer, server: grpc.aio.Server) -> None:
    """Register the servicer; every request is parsed tolerantly (see ``_tolerant`` and ``_unary``)."""
    p = agent_pb2
    handlers = {
        "Heartbeat": _unary(servicer.Heartbeat, p.HeartbeatRequest, p.HeartbeatResponse),
        "CommandStream": grpc.stream_stream_rpc_method_handler(
            servicer.CommandStream, _tolerant(p.CommandResult), p.Command.SerializeToString
        ),
        "PushLogs": grpc.stream_unary_rpc_method_handler(
            servicer.PushLogs, _tolerant(p.LogBatch), p.LogAck.SerializeToString
        ),
        "DownloadAgentBinary": grpc.unary_stream_rpc_method_handler(
            servicer.DownloadAgentBinary,
            _tolerant(p.DownloadAgentBinaryRequest),
            p.AgentBinaryChunk.SerializeToString,
        ),
        "PushSpans": grpc.stream_unary_rpc_method_handler(
            servicer.PushSpans, _tolerant(p.SpanBatch), p.SpanAck.SerializeToString
        ),
        "ForwardObserveEvent": _unary(
            servicer.ForwardObserveEvent, p.ObserveEventRequest, p.ObserveEventResponse
        ),
        "ListServerRoutes": _unary(
            servicer.ListServerRoutes, p.ListServerRoutesRequest, p.ListServerRoutesResponse
        ),
        "AckCommand": _unary(servicer.AckCommand, p.CommandAck, p.CommandAckResponse),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))
