"""Operator-action RPCs of AgentsService: re-enrol, Dwaar config revisions and rollback, deploy-net table."""

from __future__ import annotations

import json
from typing import Any, TypeAlias

import grpc
from switchyard.agents.domain.operator.models import NetworkMember, PatchOutcome, Revision
from switchyard.agents.domain.operator.service import OperatorService
from switchyard.agents.rpc._mapping import ts
from switchyard.agents.v1 import operator_pb2 as pb
from switchyard.grpckit.principal import get_principal

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


def revision(view: Revision) -> pb.DwaarConfigRevision:
    """The wire form of a recorded revision."""
    reply = view.reply or {}
    return pb.DwaarConfigRevision(
        id=view.id,
        server_id=view.server_id,
        org_id=view.org_id,
        block=view.patch.block,
        action=view.patch.action,
        value=view.patch.value,
        status=view.status,
        error=view.error,
        prev=str(reply.get("prev", "")),
        new=str(reply.get("new", "")),
        restart_ok=reply.get("restart_ok") is True,
        restart_error=str(reply.get("restart_error", "")),
        rollback_of=view.rollback_of,
        rolled_back_by=view.rolled_back_by,
        rollbackable=view.rollbackable,
        command_id=view.command_id,
        requested_by=view.requested_by,
        created_at=ts(view.created_at),
    )


def _reply(outcome: PatchOutcome) -> str:
    return json.dumps(outcome.reply, separators=(",", ":"))


def _container(member: NetworkMember) -> pb.NetworkContainer:
    return pb.NetworkContainer(
        container_id=member.container_id,
        container_name=member.container_name,
        ipv4_address=member.ipv4_address,
        mac_address=member.mac_address,
        app_id=member.app.app_id if member.app else "",
        deployment_id=member.app.deployment_id if member.app else "",
        unexpected_on_deploy_net=member.unexpected_on_deploy_net,
    )


class OperatorMixin:
    """ReenrollServer, PatchDwaarConfig, ListDwaarConfigRevisions, RollbackDwaarConfig, GetServerNetwork."""

    _operator: OperatorService

    async def ReenrollServer(
        self, request: pb.ReenrollServerRequest, context: Context
    ) -> pb.ReenrollServerResponse:
        """REENROLL for a live agent, or a paste command for an offline one."""
        done = await self._operator.reenroll(
            principal=get_principal(), server_id=request.server_id, installer_url=request.installer_url
        )
        return pb.ReenrollServerResponse(
            queued=done.online,
            online=done.online,
            command_id=done.command_id,
            install_url=done.install_url,
            expires_at=ts(done.expires_at),
            paste_command=done.paste_command,
        )

    async def PatchDwaarConfig(
        self, request: pb.PatchDwaarConfigRequest, context: Context
    ) -> pb.PatchDwaarConfigResponse:
        """DWAAR_CONFIG_PATCH with a recorded revision."""
        outcome = await self._operator.patch_dwaar(
            principal=get_principal(),
            server_id=request.server_id,
            block=request.block,
            action=request.action,
            value=request.value,
        )
        return pb.PatchDwaarConfigResponse(revision=revision(outcome.revision), reply_json=_reply(outcome))

    async def ListDwaarConfigRevisions(
        self, request: pb.ListDwaarConfigRevisionsRequest, context: Context
    ) -> pb.ListDwaarConfigRevisionsResponse:
        """The latest revisions, newest first."""
        views = await self._operator.revisions(
            principal=get_principal(), server_id=request.server_id, limit=request.limit
        )
        return pb.ListDwaarConfigRevisionsResponse(revisions=[revision(v) for v in views])

    async def RollbackDwaarConfig(
        self, request: pb.RollbackDwaarConfigRequest, context: Context
    ) -> pb.RollbackDwaarConfigResponse:
        """The inverse patch of an applied revision."""
        outcome = await self._operator.rollback_dwaar(
            principal=get_principal(), server_id=request.server_id, revision_id=request.revision_id
        )
        return pb.RollbackDwaarConfigResponse(
            revision=revision(outcome.revision),
            reply_json=_reply(outcome),
            rollback_of=outcome.revision.rollback_of,
        )

    async def GetServerNetwork(
        self, request: pb.GetServerNetworkRequest, context: Context
    ) -> pb.GetServerNetworkResponse:
        """The deploy-net membership table."""
        table = await self._operator.network(principal=get_principal(), server_id=request.server_id)
        return pb.GetServerNetworkResponse(
            network_id=table.network_id,
            network_name=table.network_name,
            driver=table.driver,
            containers=[_container(c) for c in table.containers],
            error=table.error,
            command_id=table.command_id,
        )


__all__ = ["OperatorMixin", "revision"]
