"""``/api/daemon/credentials``: the credential store, snapshots for agents, and rotation fan-out over SSE.

Bearer only (no cookie): an org key (``rsk_live_``), a user or ``lsk_`` key with ``X-Tenant-ID``, and for
the snapshot and the rotation stream also a worker runtime JWT. The rotation stream proxies the workers
service's server-streaming ``WatchCredentialRotations`` call as Server-Sent Events and cancels that call
as soon as the HTTP client goes away.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import grpc
from litestar import Controller, delete, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage
from switchyard.gateway.auth.workers import DAEMON, FLEET
from switchyard.gateway.domain.credentials import schemas as s
from switchyard.gateway.schema import rfc3339
from switchyard.gateway.state import Gateway
from switchyard.gateway.streams import opened
from switchyard.grpckit.principal import Principal
from switchyard.obs import get_logger
from switchyard.workers.v1 import workers_service_pb2 as pb

log = get_logger(__name__)
TAGS = ["Worker Protocol"]
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
# A rotation stream ends after this long; the daemon reconnects (its documented discipline), which also
# re-checks its bearer.
STREAM_MAX_SECONDS = 3600.0
WatchCall: TypeAlias = "grpc.aio.UnaryStreamCall[Any, pb.WatchCredentialRotationsResponse]"


async def _events(call: WatchCall) -> AsyncIterator[ServerSentEventMessage]:
    # The first frame (READY) was read by the handler; from here every frame is forwarded. Cancelling the
    # call in ``finally`` covers the client going away (the response cancels this generator) and errors.
    try:
        yield ServerSentEventMessage(data=None, comment="connected")
        while True:
            frame = await call.read()
            if frame is grpc.aio.EOF:
                return
            if frame.type == pb.WATCH_FRAME_TYPE_ROTATION:
                data = json.dumps(s.rotation_event(frame.rotation), separators=(",", ":"))
                yield ServerSentEventMessage(data=data, event="UPDATE")
            elif frame.type == pb.WATCH_FRAME_TYPE_KEEP_ALIVE:
                yield ServerSentEventMessage(data=None, comment="keep-alive")
    except grpc.aio.AioRpcError as exc:
        # Upstream ended the stream (deadline, a replica stopping): the client reconnects.
        log.info("credential rotation stream ended", grpc_code=exc.code().name)
    finally:
        call.cancel()


class CredentialsController(Controller):
    """Daemon credentials of the caller's org."""

    path = "/api/daemon/credentials"
    tags = TAGS
    security = SECURITY

    @post(
        "/",
        status_code=201,
        dependencies=DAEMON,
        operation_id="storeDaemonCredential",
        description="Stores a credential (an environment variable for agents) for the org, optionally for one project (`projectId`) and environment (`envName`, default `production`). `name` must match ^[A-Za-z_][A-Za-z0-9_]{0,127}$ and not be a daemon-internal name; `kind` is a lowercase slug such as `github`; `value` is at most 64 KiB, encrypted at rest and never returned. Storing an existing name replaces its value and counts as a rotation of its kind. Org admin/owner, or an org key with the `*` scope.",  # noqa: E501
    )
    async def store(
        self,
        data: JSONBody[s.CredentialCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.CredentialEnvelope:
        """Create or replace a credential."""
        response = await gateway.workers.store_credential(principal, s.store_request(data))
        return s.CredentialEnvelope(credential=s.credential_from_pb(response.credential))

    @get(
        "/",
        dependencies=DAEMON,
        operation_id="listDaemonCredentials",
        description="Lists the org's credentials (metadata only, never values), optionally only one project's (`projectId`; empty = org-wide ones) and/or one environment's (`envName`).",  # noqa: E501
    )
    async def list_credentials(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        orgId: FromQuery[str] = "",
        projectId: FromQuery[str | None] = None,
        envName: FromQuery[str] = "",
    ) -> s.CredentialList:
        """The org's credential metadata."""
        request = pb.ListCredentialsRequest(org_id=orgId, project_id=projectId, env_name=envName)
        response = await gateway.workers.list_credentials(principal, request)
        return s.CredentialList(credentials=[s.credential_from_pb(c) for c in response.credentials])

    @delete(
        "/{id:str}",
        status_code=200,
        dependencies=DAEMON,
        operation_id="deleteDaemonCredential",
        description="Deletes a credential. Returns 404 if it does not exist or belongs to another org.",
    )
    async def remove(
        self, id: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.CredentialDeleted:
        """Delete a credential."""
        response = await gateway.workers.delete_credential(principal, credential_id=id)
        return s.CredentialDeleted(deleted=response.deleted)

    @post(
        "/snapshot",
        status_code=200,
        dependencies=FLEET,
        cache_control=CacheControlHeader(no_store=True),
        operation_id="credentialSnapshot",
        description="Returns the credential environment for a daemon's agents: org-wide values overridden by the project's (`projectId`), for `envName` (default `production`), with daemon-internal names stripped, plus `refreshUntil` (now + 15 minutes). `orgId` must equal the authenticated org (403 otherwise). The snapshot is audited by variable name, never by value.",  # noqa: E501
    )
    async def snapshot(
        self,
        data: JSONBody[s.SnapshotRequest],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Snapshot:
        """The agents' environment."""
        request = pb.SnapshotCredentialsRequest(
            org_id=data.org_id, project_id=data.project_id, env_name=data.env_name, session_id=data.session_id
        )
        response = await gateway.workers.snapshot_credentials(principal, request)
        return s.Snapshot(env=dict(response.env), refresh_until=rfc3339(response.refresh_until))

    @post(
        "/rotate",
        status_code=200,
        dependencies=DAEMON,
        operation_id="credentialRotate",
        description="Signals that a credential kind was rotated upstream and fans the rotation out to every live rotate-stream subscriber of the org (zero is fine); `sessionCount` says how many there were. User callers need admin or owner; org keys need only the org to match. 404 when the org has no credential of that kind.",  # noqa: E501
    )
    async def rotate(
        self,
        data: JSONBody[s.RotateRequest],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Rotated:
        """Fan a rotation out."""
        response = await gateway.workers.rotate_credentials(principal, org_id=data.org_id, kind=data.kind)
        return s.Rotated(
            ok=response.ok,
            kind=response.kind,
            session_count=response.session_count,
            rotated_at=rfc3339(response.rotated_at),
        )

    @get(
        "/rotate-stream",
        dependencies=FLEET,
        operation_id="credentialRotateStream",
        description="A text/event-stream of the org's credential rotations: an `UPDATE` event with JSON data {orgId, kind, rotatedAt, sessionId?} per rotation, and a comment keep-alive every 15 s. Reconnect when it ends, re-resolving the bearer on each attempt.",  # noqa: E501
    )
    async def rotate_stream(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        sessionId: FromQuery[str] = "",
    ) -> ServerSentEvent:
        """Server-Sent Events of the org's rotations."""
        call = gateway.workers.watch_credential_rotations(
            principal, session_id=sessionId, max_seconds=STREAM_MAX_SECONDS
        )
        await opened(call, lambda frame: frame.type == pb.WATCH_FRAME_TYPE_READY)
        return ServerSentEvent(_events(call))


ROUTES = [CredentialsController]
