"""Bodies of the recovery-packet routes (Rensei §2.5)."""

from __future__ import annotations

from typing import Any

from switchyard.gateway.schema import CamelStruct, rfc3339, rfc3339_or_none, struct_to_json
from switchyard.workers.v1 import workers_pb2 as wpb


class Packet(CamelStruct):
    """A stored packet; ``packetData`` is the posted body minus agentId, tier and recoveryChainId."""

    id: str
    session_id: str
    agent_id: str
    tier: str
    recovery_chain_id: str
    token_estimate: int
    created_at: str
    consumed_at: str | None
    packet_data: dict[str, Any]


class PacketEnvelope(CamelStruct):
    """``{packet}``."""

    packet: Packet


class ChainPacket(CamelStruct):
    """One packet of a chain."""

    id: str
    tier: str
    recovery_chain_id: str
    token_estimate: int
    created_at: str
    consumed_at: str | None
    packet_data: dict[str, Any]


class Chain(CamelStruct):
    """``GET /api/sessions/{id}/recovery-chain``."""

    session_id: str
    total_packets: int
    packets: list[ChainPacket]


def packet(p: wpb.RecoveryPacket) -> Packet:
    """The wire view of a packet."""
    return Packet(
        id=p.id,
        session_id=p.session_id,
        agent_id=p.agent_id,
        tier=p.tier,
        recovery_chain_id=p.recovery_chain_id,
        token_estimate=p.token_estimate,
        created_at=rfc3339(p.created_at),
        consumed_at=rfc3339_or_none(p, "consumed_at"),
        packet_data=struct_to_json(p.packet_data),
    )


def chain_packet(p: wpb.RecoveryPacket) -> ChainPacket:
    """A packet as the chain lists it."""
    return ChainPacket(
        id=p.id,
        tier=p.tier,
        recovery_chain_id=p.recovery_chain_id,
        token_estimate=p.token_estimate,
        created_at=rfc3339(p.created_at),
        consumed_at=rfc3339_or_none(p, "consumed_at"),
        packet_data=struct_to_json(p.packet_data),
    )
