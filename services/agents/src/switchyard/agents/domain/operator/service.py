"""Operator actions: re-enrol a server, patch its Dwaar config with recorded revisions and rollback, and
read its deploy-net membership table.

Built on ``ServerService``: the same "online" rule (a live stream registration), the same bounded
round trip that cancels a command nobody waits for any more, and the same 404 for another org's server.
"""

from __future__ import annotations

from typing import Any

from switchyard.agents.domain import access
from switchyard.agents.domain.commands.models import CommandView
from switchyard.agents.domain.commands.service import CommandService
from switchyard.agents.domain.common import COMPLETED, new_id
from switchyard.agents.domain.context import Deps
from switchyard.agents.domain.enrolment import rules as enrolment_rules
from switchyard.agents.domain.enrolment.install import InstallTokens
from switchyard.agents.domain.errors import AgentFailed, AgentTimeout
from switchyard.agents.domain.operator import repository as repo
from switchyard.agents.domain.operator import rules
from switchyard.agents.domain.operator.models import (
    APPLIED,
    DWAAR_CONFIG_PATCH,
    ERROR,
    NETWORK_INSPECT,
    REENROLL,
    ContainerApps,
    DwaarPatch,
    NetworkTable,
    PatchOutcome,
    Reenrolment,
    Revision,
)
from switchyard.agents.domain.servers import repository as servers
from switchyard.agents.domain.servers.service import ServerService, _failure
from switchyard.agents.domain.servers.service import _json as json_object
from switchyard.grpckit.errors import AlreadyExists, Conflict, NotFound
from switchyard.grpckit.principal import Principal
from switchyard.obs import get_logger

log = get_logger(__name__)

REENROLL_GUARD_SECONDS = 300
# The agent rewrites the file and restarts Dwaar (systemctl restart: up to 20 s, then is-active).
PATCH_TIMEOUT = 35.0
PATCH_GUARD_SECONDS = 60
NETWORK_TIMEOUT = 10.0
REVISION_NOT_FOUND = "revision not found"


class PatchNotApplied(Conflict):
    """The agent answered the patch with a failure (HTTP 502); the error revision is named."""

    def __init__(self, message: str, *, revision_id: str) -> None:
        super().__init__(message, http_status=502, fields={"revision_id": revision_id})


class OperatorService(ServerService):
    """Re-enrolment, Dwaar config revisions and the deploy-net table, through the agent's stream.

    Args:
        deps: The shared collaborators.
        commands: Durable commands (issue, run and wait).
        install: Install-token minting (the enrolment part of the service).
        containers: The container -> app mapping deploy provides.
    """

    def __init__(
        self, deps: Deps, commands: CommandService, *, install: InstallTokens, containers: ContainerApps
    ) -> None:
        super().__init__(deps, commands)
        self._install = install
        self._containers = containers

    async def reenroll(self, *, principal: Principal, server_id: str, installer_url: str) -> Reenrolment:
        """Mint a one-shot install token; queue REENROLL when the agent is online, else hand out a paste line.

        Raises:
            PermissionDenied: Not an org admin or owner.
            NotFound: Unknown, or another org's server.
            AlreadyExists: A re-enrolment of the server started less than 5 minutes ago.
        """
        operator = enrolment_rules.require_admin(principal, action="re-enrolling a server")
        installer = rules.installer_url(installer_url)
        server = await self._c.server(org_id=operator.org_id, server_id=server_id)
        if not await self._d.live.claim("reenroll", server.id, REENROLL_GUARD_SECONDS):
            raise AlreadyExists(
                f"a re-enrollment of this server is already in flight (started in the last "
                f"{REENROLL_GUARD_SECONDS // 60} minutes)"
            )
        try:
            outcome = await self._reenroll(principal, server.id, server.status, installer)
        except BaseException:
            await self._d.live.release("reenroll", server.id)
            raise
        # Audit line: who re-enrolled which server and how; the token and its URL stay out of the log.
        log.info(
            "server re-enrolment started",
            server_id=server.id,
            org_id=operator.org_id,
            operator=operator.operator_id,
            online=outcome.online,
            command_id=outcome.command_id,
            token_expires_at=outcome.expires_at.isoformat(),
        )
        return outcome

    async def _reenroll(
        self, principal: Principal, server_id: str, status: str, installer: str
    ) -> Reenrolment:
        issued = await self._install.create(principal=principal, name="", ttl_seconds=0)
        url = rules.install_url(installer, token=issued.token, server_id=server_id)
        paste = rules.paste_command(url)
        online = status == servers.ACTIVE and server_id in await self._d.live.connected([server_id])
        if not online:
            return Reenrolment(
                online=False, install_url=url, expires_at=issued.expires_at, paste_command=paste
            )
        view = await self._c.issue(
            principal=principal, server_id=server_id, type=REENROLL, payload={"install_url": url}
        )
        return Reenrolment(
            online=True,
            install_url=url,
            expires_at=issued.expires_at,
            paste_command=paste,
            command_id=view.id,
        )

    async def patch_dwaar(
        self, *, principal: Principal, server_id: str, block: str, action: str, value: str
    ) -> PatchOutcome:
        """DWAAR_CONFIG_PATCH and a recorded revision; 422 offline, 502/504 (with revision_id) on failure."""
        access.actor(principal)
        patch = rules.dwaar_patch(block=block, action=action, value=value)
        return await self._apply(principal, server_id, patch, rollback_of="")

    async def revisions(self, *, principal: Principal, server_id: str, limit: int) -> list[Revision]:
        """The server's latest revisions, newest first (limit 1..100, default 20)."""
        org = access.reader(principal).org_id
        size = rules.revision_limit(limit)
        server = await self._c.server(org_id=org, server_id=server_id)
        async with self._d.reads() as session:
            return await repo.latest(session, server_id=server.id, org_id=org, limit=size)

    async def rollback_dwaar(self, *, principal: Principal, server_id: str, revision_id: str) -> PatchOutcome:
        """Send the inverse patch of an applied revision; the result is a new revision with rollback_of.

        Raises:
            NotFound: Unknown server or revision (or another org's).
            Conflict: The revision is not applied, was rolled back already, or cannot be inverted (409).
        """
        org = access.actor(principal).org_id
        wanted = rules.revision_id(revision_id)
        server = await self._c.server(org_id=org, server_id=server_id)
        async with self._d.reads() as session:
            target = await repo.get(session, revision_id=wanted, server_id=server.id, org_id=org)
        if target is None:
            raise NotFound(REVISION_NOT_FOUND)
        if target.status != APPLIED:
            raise Conflict(f"revision is {target.status}; only an applied revision can be rolled back")
        if target.rolled_back_by:
            raise Conflict(
                "revision was already rolled back", fields={"rolled_back_by": target.rolled_back_by}
            )
        if target.inverse is None:
            _, why = rules.inverse_of(target.patch, target.reply or {})
            raise Conflict(f"revision cannot be rolled back: {why}")
        return await self._apply(principal, server.id, target.inverse, rollback_of=target.id)

    async def _apply(
        self, principal: Principal, server_id: str, patch: DwaarPatch, *, rollback_of: str
    ) -> PatchOutcome:
        actor = access.actor(principal)
        server = await self._online(principal, server_id, reader_ok=False)
        # One patch at a time per server: each reads the file the previous one wrote, so prev is exact.
        if not await self._d.live.claim("dwaar-config", server.id, PATCH_GUARD_SECONDS):
            raise Conflict("a Dwaar config patch is already running on this server")
        try:
            view, _, _ = await self._probe(
                principal=principal,
                server_id=server.id,
                type=DWAAR_CONFIG_PATCH,
                wait=PATCH_TIMEOUT,
                payload=patch.payload(),
            )
            revision = _revision(view, patch, rollback_of=rollback_of, requested_by=actor.requested_by)
            async with self._d.sessions() as session, session.begin():
                await repo.insert(session, revision)
        finally:
            await self._d.live.release("dwaar-config", server.id)
        log.info(
            "dwaar config revision recorded",
            server_id=server.id,
            revision_id=revision.id,
            block=patch.block,
            action=patch.action,
            status=revision.status,
            rollback_of=rollback_of,
        )
        if not view.final:
            raise AgentTimeout(revision.error, fields={"revision_id": revision.id})
        if revision.status != APPLIED:
            raise PatchNotApplied(revision.error, revision_id=revision.id)
        return PatchOutcome(revision=revision, reply=revision.reply or {})

    async def network(self, *, principal: Principal, server_id: str) -> NetworkTable:
        """NETWORK_INSPECT of deploy-net joined with the app mapping; 422 offline."""
        server = await self._online(principal, server_id, reader_ok=True)
        view, _, _ = await self._probe(
            principal=principal,
            server_id=server.id,
            type=NETWORK_INSPECT,
            wait=NETWORK_TIMEOUT,
            reader_ok=True,
        )
        if not view.final:
            raise AgentTimeout(f"agent did not answer NETWORK_INSPECT within {NETWORK_TIMEOUT:.0f} s")
        if view.status != COMPLETED:
            raise AgentFailed(_failure(view))
        apps = await self._containers.for_server(server.id)
        return rules.network_table(json_object(view.output), apps, command_id=view.id)


def _revision(view: CommandView, patch: DwaarPatch, *, rollback_of: str, requested_by: str) -> Revision:
    reply: dict[str, Any] | None = None
    inverse: DwaarPatch | None = None
    if not view.final:
        error = (
            f"agent did not answer DWAAR_CONFIG_PATCH within {PATCH_TIMEOUT:.0f} s; the outcome is unknown"
        )
    elif view.status != COMPLETED:
        error = _failure(view)
    else:
        reply = json_object(view.output)
        error = "" if reply else "the agent's reply is not a JSON object"
        inverse, _ = rules.inverse_of(patch, reply)
    return Revision(
        id=new_id(),
        server_id=view.server_id,
        org_id=view.org_id,
        patch=patch,
        status=ERROR if error else APPLIED,
        error=error,
        reply=reply,
        inverse=inverse,
        command_id=view.id,
        rollback_of=rollback_of,
        requested_by=requested_by,
        created_at=view.created_at,
    )
