"""Parsing a posted recovery packet, and the packet view."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from switchyard.grpckit.errors import InvalidArgument

# The whole posted body, as canonical JSON, may not exceed this.
MAX_BODY_BYTES = 256 * 1024
DEFAULT_TIER = "full"
# Body fields that become columns; everything else is packetData.
NAMED_FIELDS = ("agentId", "tier", "recoveryChainId")


def plain(value: Any) -> Any:
    """JSON as posted: protobuf Structs carry every number as a double, integral ones become ints again."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def canonical(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _text(body: dict[str, Any], name: str, *, default: str = "", max_len: int) -> str:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise InvalidArgument(f"{name} must be a string")
    text = value.strip()
    if len(text) > max_len:
        raise InvalidArgument(f"{name} must be at most {max_len} characters")
    return text or default


@dataclass(frozen=True, slots=True)
class NewPacket:
    """A validated packet: the named fields and the rest of the body."""

    agent_id: str
    tier: str
    recovery_chain_id: str
    packet_data: dict[str, Any]

    @property
    def token_estimate(self) -> int:
        """ceil(len(canonical JSON of packetData) / 4): the usual four characters per token."""
        return math.ceil(len(canonical(self.packet_data)) / 4)


def parse(body: dict[str, Any]) -> NewPacket:
    """The packet of a posted body, or InvalidArgument naming the field (or the size)."""
    body = plain(body)
    if len(canonical(body).encode()) > MAX_BODY_BYTES:
        raise InvalidArgument(f"recovery packet body must be at most {MAX_BODY_BYTES} bytes (256 KiB)")
    agent_id = _text(body, "agentId", max_len=255)
    if not agent_id:
        raise InvalidArgument("agentId is required")
    return NewPacket(
        agent_id=agent_id,
        tier=_text(body, "tier", default=DEFAULT_TIER, max_len=50),
        recovery_chain_id=_text(body, "recoveryChainId", max_len=255),
        packet_data={k: v for k, v in body.items() if k not in NAMED_FIELDS},
    )


@dataclass(frozen=True, slots=True)
class PacketView:
    """A stored packet."""

    id: str
    session_id: str
    agent_id: str
    tier: str
    recovery_chain_id: str
    token_estimate: int
    created_at: datetime
    consumed_at: datetime | None
    packet_data: dict[str, Any]
