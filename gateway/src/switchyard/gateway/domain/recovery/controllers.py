"""Recovery-packet routes: the dashboard saves a session's crash context and resumes from it once.

Org members read (user JWT with X-Tenant-ID, or an org key); saving and resuming need an org
admin/owner or an org key. Another org's session, or an unknown one, is 404.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from switchyard.gateway.auth.workers import DAEMON
from switchyard.gateway.domain.recovery import schemas as s
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.schema import json_to_struct
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal
from switchyard.workers.v1 import workers_service_pb2 as pb

TAGS = ["Recovery"]
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
MAX_BODY_BYTES = 256 * 1024


class RecoveryController(Controller):
    """``/api/sessions/{id}/recovery-packet`` and ``/recovery-chain``."""

    path = "/api/sessions"
    tags = TAGS
    security = SECURITY
    dependencies = DAEMON

    @post(
        "/{id:str}/recovery-packet",
        status_code=201,
        operation_id="postRecoveryPacket",
        description="Save crash context for a session: agentId (required), tier (full, compact, minimal...; default full), recoveryChainId (default: the chain of the session's latest packet, else a new one) and any other fields, which become packetData. tokenEstimate = ceil(len(canonical JSON of packetData) / 4). The body may be at most 256 KiB (262144 bytes; larger is 413). An org admin/owner with X-Tenant-ID, or an org key.",  # noqa: E501
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        id: FromPath[str],
        data: JSONBody[dict[str, Any]],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.PacketEnvelope:
        """Save a packet."""
        if len(await request.body()) > MAX_BODY_BYTES:
            raise GatewayError(413, f"recovery packet body must be at most {MAX_BODY_BYTES} bytes (256 KiB)")
        rpc = pb.CreateRecoveryPacketRequest(session_id=id, body=json_to_struct(data))
        response = await gateway.workers.create_recovery_packet(principal, rpc)
        return s.PacketEnvelope(packet=s.packet(response.packet))

    @get(
        "/{id:str}/recovery-packet",
        operation_id="getRecoveryPacket",
        description='The session\'s newest unconsumed recovery packet; 404 "no recovery packet" when there is none. resume=true also marks it consumed, atomically: of two concurrent resumes exactly one gets the packet (resuming needs an org admin/owner or an org key).',  # noqa: E501
    )
    async def get_packet(
        self,
        id: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        resume: FromQuery[bool] = False,
    ) -> s.PacketEnvelope:
        """The newest unconsumed packet."""
        response = await gateway.workers.get_recovery_packet(principal, session_id=id, resume=resume)
        return s.PacketEnvelope(packet=s.packet(response.packet))

    @get(
        "/{id:str}/recovery-chain",
        operation_id="getRecoveryChain",
        description="The session's recovery packets newest first (at most 100; totalPackets counts them all), with tier, recoveryChainId, tokenEstimate, createdAt, consumedAt and packetData.",  # noqa: E501
    )
    async def chain(
        self, id: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.Chain:
        """The session's packets."""
        response = await gateway.workers.get_recovery_chain(principal, session_id=id)
        return s.Chain(
            session_id=response.session_id,
            total_packets=response.total_packets,
            packets=[s.chain_packet(p) for p in response.packets],
        )


ROUTES = [RecoveryController]
