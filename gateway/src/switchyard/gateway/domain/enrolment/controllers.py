"""Server enrolment over HTTP: ``/api/servers/install-token*``, ``/api/servers/{serverId}/revoke-tokens`` and
the public agent side ``/api/agent/{install.sh,agent.tar.gz,register,refresh,recover}``.

The agent-side routes are anonymous: the install token, refresh token or bootstrap key in the request is
the proof, checked by the agents service. They are also rate-limited per client IP like the auth routes.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Response
from switchyard.gateway.auth.deps import PUBLIC, TENANT
from switchyard.gateway.domain.enrolment import installer
from switchyard.gateway.domain.enrolment import schemas as s
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.ratelimit import RATE_LIMIT_OPT, rate_limit_guard
from switchyard.gateway.schema import rfc3339
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal

NO_STORE = {"Cache-Control": "no-store"}
MIN_TTL = 60
MAX_TTL = 7 * 24 * 3600


def public_base(request: Request[Any, Any, Any], gateway: Gateway) -> str:
    """The gateway's public base URL: ``GATEWAY_PUBLIC_URL``, else the request's scheme and host."""
    configured = gateway.settings.public_url.strip().rstrip("/")
    return configured or str(request.base_url).rstrip("/")


def _install_token(request: Request[Any, Any, Any], gateway: Gateway, response: Any) -> s.InstallToken:
    return s.InstallToken(
        token=response.token,
        install_url=installer.install_url(public_base(request, gateway), response.token),
        expires_at=rfc3339(response.expires_at),
    )


class InstallTokenController(Controller):
    """Install tokens and revocation for the servers of the caller's org."""

    path = "/api/servers"
    tags = ["Servers"]

    @post(
        "/install-token",
        status_code=201,
        dependencies=TENANT,
        security=[{"bearer": []}],
        operation_id="createServerInstallToken",
        description="Generate a stateless HMAC install token for agent-based server registration. Body {name?, ttlSeconds?} (ttlSeconds 60..604800, default 3600). Returns {token, installUrl, expiresAt}; installUrl serves the install script. The token registers one server. Requires org admin/owner (X-Tenant-ID).",  # noqa: E501
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[s.InstallTokenCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.InstallToken:
        """Mint an install token."""
        if data.ttl_seconds and not MIN_TTL <= data.ttl_seconds <= MAX_TTL:
            # Checked here too: a huge number would not even fit the int32 on the wire.
            raise GatewayError(400, f"ttlSeconds must be between {MIN_TTL} and {MAX_TTL}")
        response = await gateway.agents.create_install_token(
            principal, name=data.name, ttl_seconds=data.ttl_seconds
        )
        return _install_token(request, gateway, response)

    @post(
        "/install-token/refresh",
        status_code=200,
        dependencies=PUBLIC,
        guards=[rate_limit_guard],
        opt={RATE_LIMIT_OPT: "install-token-refresh"},
        operation_id="refreshServerInstallToken",
        description="Issues a fresh install token when presented with an HMAC-signed predecessor token (expired or not). Rate-limited to 10 refreshes per 24 h per operator. Enables G-A3 install retry without operator re-minting.",  # noqa: E501
    )
    async def refresh(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[s.InstallTokenRefresh],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.InstallToken:
        """Refresh an install token."""
        response = await gateway.agents.refresh_install_token(principal, token=data.token)
        return _install_token(request, gateway, response)

    @post(
        "/{serverId:str}/revoke-tokens",
        status_code=200,
        dependencies=TENANT,
        security=[{"bearer": []}],
        operation_id="revokeServerTokens",
        description="Revokes all active agent tokens for the server and force-disconnects the live gRPC stream. Use after a credential leak. After revocation, click Re-enroll to issue fresh credentials.",  # noqa: E501
    )
    async def revoke(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.TokensRevoked:
        """Revoke a server's credentials."""
        response = await gateway.agents.revoke_server_credentials(principal, server_id=serverId)
        return s.TokensRevoked(revoked_tokens=response.revoked_tokens, disconnected=response.disconnected)


class AgentEnrolmentController(Controller):
    """What the install script and the agent call (anonymous; the body or query carries the proof)."""

    path = "/api/agent"
    tags = ["Agent"]
    dependencies = PUBLIC
    guards = [rate_limit_guard]

    @get(
        "/install.sh",
        opt={RATE_LIMIT_OPT: "agent-install"},
        operation_id="getAgentInstallScript",
        description="Serves the shell script that installs the agent on a server: it registers with the install token, writes the agent env file (0600), installs the reference agent and enables a systemd unit when run as root. Query: token (required), previous_server_id (optional; relinks that server). An invalid, expired or used token is 401 JSON, not a script.",  # noqa: E501
    )
    async def install_script(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        token: FromQuery[str] = "",
        previous_server_id: FromQuery[str] = "",
    ) -> Response[str]:
        """The installer for one token."""
        if not token:
            raise GatewayError(400, "token is required")
        if previous_server_id and not installer.SERVER_ID.match(previous_server_id):
            raise GatewayError(400, "previous_server_id is invalid")
        await gateway.agents.verify_install_token(principal, token=token)
        script = installer.render_script(
            base_url=public_base(request, gateway), token=token, previous_server_id=previous_server_id
        )
        return Response(script, media_type="text/x-shellscript", headers=NO_STORE)

    @get(
        "/agent.tar.gz",
        opt={RATE_LIMIT_OPT: "agent-bundle"},
        operation_id="getAgentBundle",
        description="The reference agent as a gzip tarball laid out under lib/ (the switchyard.agent package and the generated agent.v1 modules), so PYTHONPATH=<prefix>/lib python3 -m switchyard.agent runs it. The install script downloads it.",  # noqa: E501
    )
    async def bundle(self, principal: NamedDependency[Principal]) -> Response[bytes]:
        """The agent bundle."""
        return Response(
            installer.agent_bundle(),
            media_type="application/gzip",
            headers={"Content-Disposition": 'attachment; filename="agent.tar.gz"'},
        )

    @post(
        "/register",
        status_code=201,
        opt={RATE_LIMIT_OPT: "agent-register"},
        operation_id="registerAgent",
        description="Called by the install script to register the server and receive agent credentials. Body {token, hostname, machineId, previous_server_id?}; returns {serverId, agentSecret, refreshToken, bootstrapKey, grpcAddress, relinked}, shown once. The install token is single-use; previous_server_id relinks that server when it belongs to the token's org.",  # noqa: E501
    )
    async def register(
        self,
        data: JSONBody[s.AgentRegister],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.AgentRegistered:
        """Register a server."""
        response = await gateway.agents.register_server(
            principal,
            token=data.token,
            hostname=data.hostname,
            machine_id=data.machine_id,
            previous_server_id=data.previous_server_id or data.previous_server_id_camel,
        )
        return s.registered_from_pb(response)

    @post(
        "/refresh",
        status_code=200,
        opt={RATE_LIMIT_OPT: "agent-refresh"},
        operation_id="refreshAgentToken",
        description="Rotates the agent refresh token. Replayed tokens trigger chain revocation. Body {refreshToken}; returns {serverId, refreshToken, expiresAt}.",  # noqa: E501
    )
    async def refresh(
        self,
        data: JSONBody[s.AgentRefresh],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.AgentRefreshed:
        """Rotate a refresh token."""
        response = await gateway.agents.refresh_agent_token(principal, refresh_token=data.refresh_token)
        return s.AgentRefreshed(
            server_id=response.server_id,
            refresh_token=response.refresh_token,
            expires_at=rfc3339(response.expires_at),
        )

    @post(
        "/recover",
        status_code=200,
        opt={RATE_LIMIT_OPT: "agent-recover"},
        operation_id="recoverAgent",
        description="Issues fresh credentials (server_id, agent_secret, tokens) for an agent that has lost its identity. Bootstrap key is one-shot rotated on use. Rate-limited to 5/hour/machine_id.",  # noqa: E501
    )
    async def recover(
        self,
        data: JSONBody[s.AgentRecover],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.AgentCredentials:
        """Recover a server's credentials."""
        response = await gateway.agents.recover_server(
            principal, bootstrap_key=data.bootstrap_key, machine_id=data.machine_id
        )
        return s.credentials_from_pb(response.credentials)


ROUTES = [InstallTokenController, AgentEnrolmentController]
