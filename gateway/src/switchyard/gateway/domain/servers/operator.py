"""``/api/servers/{serverId}/{reenroll,dwaar/*,network}``: operator actions beyond a probe.

Bodies use the seed's snake_case names (``install_url``, ``paste_command``, ``restart_ok``, ``revision_id``,
``rollback_of``, ``unexpected_on_deploy_net``), and the agent's own keys where it answers (NETWORK_INSPECT,
DWAAR_CONFIG_PATCH). The agents service enforces admin/owner for re-enrol, patch and rollback (members
may read revisions and the network table) and answers another tenant's server 404.

Rolling back a revision that is not ``applied`` (an ``error`` revision), was rolled back already, or
whose previous block cannot be written back by a patch is 409; an unknown revision is 404.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from switchyard.agents.v1 import operator_pb2 as op
from switchyard.gateway.auth.deps import TENANT
from switchyard.gateway.domain.enrolment.controllers import public_base
from switchyard.gateway.domain.enrolment.installer import script_url
from switchyard.gateway.schema import rfc3339_or_none
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal


class Reenrolled(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Online: ``{queued, online, command_id, install_url, expires_at}``; offline: ``{online, paste_command,
    install_url}``."""

    online: bool
    install_url: str
    queued: bool | None = None
    command_id: str | None = None
    expires_at: str | None = None
    paste_command: str | None = None


class DwaarPatch(msgspec.Struct, kw_only=True):
    """The DWAAR_CONFIG_PATCH payload."""

    block: str
    action: str
    value: str = ""


class DwaarRollback(msgspec.Struct, kw_only=True):
    """``{revision_id}`` of an applied revision."""

    revision_id: str


class Link(msgspec.Struct, kw_only=True):
    """How to act on a revision."""

    method: str
    href: str
    body: dict[str, str]


class Revision(msgspec.Struct, kw_only=True):
    """One recorded Dwaar config revision."""

    id: str
    block: str
    action: str
    value: str
    status: str
    error: str | None
    prev: str
    new: str
    restart_ok: bool
    restart_error: str | None
    rollback_of: str | None
    rolled_back_by: str | None
    rollbackable: bool
    command_id: str
    requested_by: str
    created_at: str | None
    links: dict[str, Link]


class Revisions(msgspec.Struct, kw_only=True):
    """Newest first."""

    revisions: list[Revision]


class NetworkContainer(msgspec.Struct, kw_only=True):
    """One container on deploy-net."""

    container_id: str
    container_name: str
    ipv4_address: str
    mac_address: str
    app_id: str | None
    deployment_id: str | None
    unexpected_on_deploy_net: bool


class Network(msgspec.Struct, kw_only=True):
    """The deploy-net membership table."""

    network_id: str
    network_name: str
    driver: str
    containers: list[NetworkContainer]
    error: str | None
    command_id: str


def _revision(server_id: str, r: op.DwaarConfigRevision) -> Revision:
    links: dict[str, Link] = {}
    if r.rollbackable:
        href = f"/api/servers/{server_id}/dwaar/rollback"
        links["rollback"] = Link(method="POST", href=href, body={"revision_id": r.id})
    return Revision(
        id=r.id,
        block=r.block,
        action=r.action,
        value=r.value,
        status=r.status,
        error=r.error or None,
        prev=r.prev,
        new=r.new,
        restart_ok=r.restart_ok,
        restart_error=r.restart_error or None,
        rollback_of=r.rollback_of or None,
        rolled_back_by=r.rolled_back_by or None,
        rollbackable=r.rollbackable,
        command_id=r.command_id,
        requested_by=r.requested_by,
        created_at=rfc3339_or_none(r, "created_at"),
        links=links,
    )


def _reply(reply_json: str, **extra: str) -> dict[str, Any]:
    reply = json.loads(reply_json or "{}")
    return {**(reply if isinstance(reply, dict) else {}), **extra}


class ServerOperatorController(Controller):
    """Re-enrolment, Dwaar config revisions and rollback, and the deploy-net table of a server."""

    path = "/api/servers"
    tags = ["Servers"]
    dependencies = TENANT
    security = [{"bearer": []}]

    @post(
        "/{serverId:str}/reenroll",
        status_code=200,
        operation_id="ReenrollServer",
        description="Mints a one-shot install token and issues COMMAND_TYPE_REENROLL. Online path: agent downloads and runs the idempotent installer, rotates credentials, and restarts — returns {queued:true, online:true, command_id, install_url, expires_at}. Offline path: returns {online:false, paste_command, install_url} so the operator can copy-paste into a recovery shell. 409 if a re-enrollment is already in-flight (5-min guard). EX-004.",  # noqa: E501
    )
    async def reenroll(
        self,
        request: Request[Any, Any, Any],
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> Reenrolled:
        """Re-enrol a server."""
        r = await gateway.agents.reenroll_server(
            principal, server_id=serverId, installer_url=script_url(public_base(request, gateway))
        )
        if not r.online:
            return Reenrolled(online=False, paste_command=r.paste_command, install_url=r.install_url)
        return Reenrolled(
            queued=r.queued,
            online=True,
            command_id=r.command_id,
            install_url=r.install_url,
            expires_at=rfc3339_or_none(r, "expires_at"),
        )

    @post(
        "/{serverId:str}/dwaar/config",
        status_code=200,
        operation_id="PatchDwaarConfig",
        description='Issues COMMAND_TYPE_DWAAR_CONFIG_PATCH to the agent. Body: {block: "analytics"|"log_level"|"rate_limit_default", action: "upsert"|"remove", value: string}. The agent rewrites /etc/dwaar/Dwaarfile (atomic + backup, last 5 retained), restarts dwaar, and the control plane records a config revision. Returns {block, action, prev, new, restart_ok, revision_id}. 422 if the agent is offline; an agent failure is 502 (504 without an answer in 35 s) with the recorded error revision_id.',  # noqa: E501
    )
    async def patch(
        self,
        serverId: FromPath[str],
        data: JSONBody[DwaarPatch],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> dict[str, Any]:
        """DWAAR_CONFIG_PATCH."""
        r = await gateway.agents.patch_dwaar_config(
            principal, server_id=serverId, block=data.block, action=data.action, value=data.value
        )
        return _reply(r.reply_json, revision_id=r.revision.id)

    @get(
        "/{serverId:str}/dwaar/revisions",
        operation_id="ListDwaarConfigRevisions",
        description="Returns the latest bounded Dwaar config revision records for the server, including rollback links and applied/error status. limit is 1..100 (default 20), newest first.",  # noqa: E501
    )
    async def revisions(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        limit: FromQuery[int] = 0,
    ) -> Revisions:
        """Recorded revisions."""
        r = await gateway.agents.list_dwaar_config_revisions(principal, server_id=serverId, limit=limit)
        return Revisions(revisions=[_revision(serverId, x) for x in r.revisions])

    @post(
        "/{serverId:str}/dwaar/rollback",
        status_code=200,
        operation_id="RollbackDwaarConfig",
        description="Looks up an applied Dwaar config revision for the server and issues the inverse COMMAND_TYPE_DWAAR_CONFIG_PATCH. Body: {revision_id}. Returns the agent reply plus {revision_id, rollback_of}. An unknown revision is 404; one that is not applied, was rolled back already, or cannot be inverted is 409.",  # noqa: E501
    )
    async def rollback(
        self,
        serverId: FromPath[str],
        data: JSONBody[DwaarRollback],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> dict[str, Any]:
        """The inverse patch of a revision."""
        r = await gateway.agents.rollback_dwaar_config(
            principal, server_id=serverId, revision_id=data.revision_id
        )
        return _reply(r.reply_json, revision_id=r.revision.id, rollback_of=r.rollback_of)

    @get(
        "/{serverId:str}/network",
        operation_id="GetServerNetwork",
        description="Returns the deploy-net Docker network membership table from the target server's agent: every container with its IP, MAC, mapped app (if any), and unexpected_on_deploy_net flag. Polls every 10 s in the UI. Returns 422 when the agent is offline.",  # noqa: E501
    )
    async def network(
        self,
        serverId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> Network:
        """NETWORK_INSPECT."""
        r = await gateway.agents.get_server_network(principal, server_id=serverId)
        return Network(
            network_id=r.network_id,
            network_name=r.network_name,
            driver=r.driver,
            containers=[
                NetworkContainer(
                    container_id=c.container_id,
                    container_name=c.container_name,
                    ipv4_address=c.ipv4_address,
                    mac_address=c.mac_address,
                    app_id=c.app_id or None,
                    deployment_id=c.deployment_id or None,
                    unexpected_on_deploy_net=c.unexpected_on_deploy_net,
                )
                for c in r.containers
            ],
            error=r.error or None,
            command_id=r.command_id,
        )


ROUTES = [ServerOperatorController]
