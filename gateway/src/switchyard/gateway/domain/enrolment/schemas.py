"""Bodies of the enrolment routes (camelCase, except ``previous_server_id`` which the agent sends as is)."""

from __future__ import annotations

import msgspec
from switchyard.agents.v1 import agents_pb2, agents_service_pb2
from switchyard.gateway.schema import CamelStruct, NonEmptyStr


class InstallTokenCreate(CamelStruct):
    """``POST /api/servers/install-token``: both optional (ttlSeconds 60 .. 604800; 0 or absent = 1 h)."""

    name: str = ""
    ttl_seconds: int = 0


class InstallTokenRefresh(CamelStruct):
    """``POST /api/servers/install-token/refresh``: the predecessor token."""

    token: NonEmptyStr


class InstallToken(CamelStruct):
    """An install token and the URL of its installer."""

    token: str
    install_url: str
    expires_at: str


class AgentRegister(CamelStruct):
    """``POST /api/agent/register`` as the install script sends it."""

    token: NonEmptyStr
    hostname: NonEmptyStr
    machine_id: NonEmptyStr
    # The wire name of the real agent's re-enrol flow; ``previousServerId`` is accepted too.
    previous_server_id: str = msgspec.field(default="", name="previous_server_id")
    previous_server_id_camel: str = msgspec.field(default="", name="previousServerId")


class AgentCredentials(CamelStruct):
    """What register and recover hand out, once."""

    server_id: str
    agent_secret: str
    refresh_token: str
    bootstrap_key: str
    grpc_address: str


class AgentRegistered(AgentCredentials):
    """``POST /api/agent/register`` answer."""

    relinked: bool


class AgentRefresh(CamelStruct):
    """``POST /api/agent/refresh``: the current link of the chain."""

    refresh_token: NonEmptyStr


class AgentRefreshed(CamelStruct):
    """``POST /api/agent/refresh`` answer: the next link."""

    server_id: str
    refresh_token: str
    expires_at: str


class AgentRecover(CamelStruct):
    """``POST /api/agent/recover``: the one-shot bootstrap key and the machine it belongs to."""

    bootstrap_key: NonEmptyStr
    machine_id: NonEmptyStr


class TokensRevoked(CamelStruct):
    """``POST /api/servers/{serverId}/revoke-tokens`` answer."""

    revoked_tokens: int
    disconnected: bool


def credentials_from_pb(value: agents_pb2.ServerCredentials) -> AgentCredentials:
    """Map ``agents.v1.ServerCredentials``."""
    return AgentCredentials(
        server_id=value.server_id,
        agent_secret=value.agent_secret,
        refresh_token=value.refresh_token,
        bootstrap_key=value.bootstrap_key,
        grpc_address=value.grpc_address,
    )


def registered_from_pb(value: agents_service_pb2.RegisterServerResponse) -> AgentRegistered:
    """Map ``agents.v1.RegisterServerResponse``."""
    credentials = value.credentials
    return AgentRegistered(
        server_id=credentials.server_id,
        agent_secret=credentials.agent_secret,
        refresh_token=credentials.refresh_token,
        bootstrap_key=credentials.bootstrap_key,
        grpc_address=credentials.grpc_address,
        relinked=value.relinked,
    )
