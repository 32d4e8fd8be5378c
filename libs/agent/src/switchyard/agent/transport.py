"""The gRPC channel and per-call metadata, set as permanu-agent sets them (reference §1 "transport")."""

from __future__ import annotations

import grpc
from switchyard.agent.config import AgentConfig

from agent.v1 import agent_pb2, agent_pb2_grpc

CALL_TIMEOUT_SECONDS = 10.0
ACK_TIMEOUT_SECONDS = 3.0
MAX_MESSAGE_BYTES = 30 * 1024 * 1024
CHANNEL_OPTIONS: tuple[tuple[str, int], ...] = (
    # HTTP/2 keepalive ping every 30 s, dead after 10 s, also while no call is active: a NAT box
    # silently dropping an idle command stream is found within 40 s.
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    # Reconnection pacing is the command loop's job (1 s -> 30 s), not the channel's.
    ("grpc.initial_reconnect_backoff_ms", 1_000),
    ("grpc.max_reconnect_backoff_ms", 30_000),
    ("grpc.min_reconnect_backoff_ms", 1_000),
)


def auth_metadata(config: AgentConfig) -> tuple[tuple[str, str], ...]:
    """The metadata every call carries: the bearer secret and the server id.

    Args:
        config: The agent config.

    Returns:
        gRPC metadata pairs.
    """
    return (("authorization", f"Bearer {config.agent_secret}"), ("server-id", config.server_id))


def open_channel(config: AgentConfig) -> grpc.aio.Channel:
    """Open a channel to the control plane: TLS with the system roots, or h2c when AGENT_INSECURE.

    Args:
        config: The agent config.

    Returns:
        A new asyncio channel (the caller closes it).
    """
    if config.insecure:
        return grpc.aio.insecure_channel(config.backend_addr, options=CHANNEL_OPTIONS)
    credentials = grpc.ssl_channel_credentials()
    return grpc.aio.secure_channel(config.backend_addr, credentials, options=CHANNEL_OPTIONS)


def stub(channel: grpc.aio.Channel) -> agent_pb2_grpc.AgentServiceStub:
    """The AgentService client stub on ``channel``."""
    return agent_pb2_grpc.AgentServiceStub(channel)  # type: ignore[no-untyped-call]


async def list_server_routes(
    config: AgentConfig, client: agent_pb2_grpc.AgentServiceStub
) -> list[agent_pb2.ServerRoute]:
    """The server's canonical routes, as the control plane answers ListServerRoutes (DWAAR_RECONCILE)."""
    response = await client.ListServerRoutes(
        agent_pb2.ListServerRoutesRequest(server_id=config.server_id),
        metadata=auth_metadata(config),
        timeout=CALL_TIMEOUT_SECONDS,
    )
    return list(response.routes)
