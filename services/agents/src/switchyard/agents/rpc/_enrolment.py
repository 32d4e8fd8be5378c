"""Enrolment RPCs of AgentsService: map pb to the domain, call one use case, map back."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from switchyard.agents.domain.enrolment.models import Credentials
from switchyard.agents.domain.enrolment.service import EnrolmentService
from switchyard.agents.enrolment_io import ts
from switchyard.agents.v1 import agents_pb2 as pb
from switchyard.agents.v1 import agents_service_pb2 as svc
from switchyard.grpckit.principal import get_principal

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


def _credentials(value: Credentials) -> pb.ServerCredentials:
    return pb.ServerCredentials(
        server_id=value.server_id,
        agent_secret=value.agent_secret,
        refresh_token=value.refresh_token,
        bootstrap_key=value.bootstrap_key,
        grpc_address=value.grpc_address,
    )


class EnrolmentRpc:
    """CreateInstallToken, RefreshInstallToken, RegisterServer, RefreshAgentToken, RecoverServer and
    RevokeServerCredentials, VerifyInstallToken (the servicer sets ``_enrolment``)."""

    _enrolment: EnrolmentService

    async def CreateInstallToken(
        self, request: svc.CreateInstallTokenRequest, context: Context
    ) -> svc.CreateInstallTokenResponse:
        """Mint an install token for the caller's org."""
        issued = await self._enrolment.install.create(
            principal=get_principal(), name=request.name, ttl_seconds=request.ttl_seconds
        )
        return svc.CreateInstallTokenResponse(token=issued.token, expires_at=ts(issued.expires_at))

    async def RefreshInstallToken(
        self, request: svc.RefreshInstallTokenRequest, context: Context
    ) -> svc.RefreshInstallTokenResponse:
        """Mint a successor of a signed install token."""
        issued = await self._enrolment.install.refresh(token=request.token)
        return svc.RefreshInstallTokenResponse(token=issued.token, expires_at=ts(issued.expires_at))

    async def VerifyInstallToken(
        self, request: svc.VerifyInstallTokenRequest, context: Context
    ) -> svc.VerifyInstallTokenResponse:
        """Check an install token without spending it."""
        issued = await self._enrolment.install.check(token=request.token)
        return svc.VerifyInstallTokenResponse(expires_at=ts(issued.expires_at))

    async def RegisterServer(
        self, request: svc.RegisterServerRequest, context: Context
    ) -> svc.RegisterServerResponse:
        """Trade an install token for a server and its credentials."""
        registration = await self._enrolment.register(
            token=request.token,
            hostname=request.hostname,
            machine_id=request.machine_id,
            previous_server_id=request.previous_server_id,
        )
        return svc.RegisterServerResponse(
            credentials=_credentials(registration.credentials), relinked=registration.relinked
        )

    async def RefreshAgentToken(
        self, request: svc.RefreshAgentTokenRequest, context: Context
    ) -> svc.RefreshAgentTokenResponse:
        """Rotate a refresh token."""
        rotated = await self._enrolment.refresh_agent_token(refresh_token=request.refresh_token)
        return svc.RefreshAgentTokenResponse(
            server_id=rotated.server_id,
            refresh_token=rotated.refresh_token,
            expires_at=ts(rotated.expires_at),
        )

    async def RecoverServer(
        self, request: svc.RecoverServerRequest, context: Context
    ) -> svc.RecoverServerResponse:
        """Fresh credentials against the bootstrap key."""
        credentials = await self._enrolment.recover(
            bootstrap_key=request.bootstrap_key, machine_id=request.machine_id
        )
        return svc.RecoverServerResponse(credentials=_credentials(credentials))

    async def RevokeServerCredentials(
        self, request: svc.RevokeServerCredentialsRequest, context: Context
    ) -> svc.RevokeServerCredentialsResponse:
        """Revoke every credential of a server and force-disconnect it."""
        revocation = await self._enrolment.revoke(principal=get_principal(), server_id=request.server_id)
        return svc.RevokeServerCredentialsResponse(
            revoked_tokens=revocation.revoked_tokens, disconnected=revocation.disconnected
        )
