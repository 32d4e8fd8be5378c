"""``/api/errors/*``: DSNs, error groups and their events, source maps (tenant from ``X-Tenant-ID``), and the
native JSON error ingest authenticated by a DSN key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from switchyard.gateway.auth.deps import TENANT
from switchyard.gateway.domain.enrolment.controllers import public_base
from switchyard.gateway.domain.ingest import door
from switchyard.gateway.domain.ingest import schemas as s
from switchyard.gateway.errors import GatewayError, field_message
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal
from switchyard.ingest.v1 import ingest_service_pb2 as pb

TAGS = ["Errors"]
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
# gRPC's default 4 MiB message limit bounds a source map; the ingest service enforces its own cap below it.
SOURCE_MAP_BODY_MAX = 4 * 1024 * 1024


def dsn_url(base: str, public_key: str, project_id: int) -> str:
    """``http(s)://<public key>@<host>[/<prefix>]/<project id>``."""
    parts = urlsplit(base)
    path = f"{parts.path.rstrip('/')}/{project_id}"
    return urlunsplit((parts.scheme, f"{public_key}@{parts.netloc}", path, "", ""))


class DsnsController(Controller):
    """DSNs (ingest keys) of the caller's org."""

    path = "/api/errors/dsns"
    tags = TAGS
    security = SECURITY
    dependencies = TENANT

    @post(
        "/",
        status_code=201,
        operation_id="createDsn",
        description="Create a DSN: an ingest key (the Sentry public key) with its own numeric project id. `dsn` is the full Sentry DSN URL. Optional `appId` (a UUID) ties it to an app. Requires org admin or owner.",  # noqa: E501
    )
    async def create(
        self,
        data: JSONBody[s.DsnCreate],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.DsnEnvelope:
        """Create a DSN."""
        made = (
            await gateway.ingest.create_dsn(
                principal, pb.CreateDsnRequest(name=data.name, app_id=data.app_id)
            )
        ).dsn
        base = public_base(request, gateway)
        return s.DsnEnvelope(dsn=s.dsn(made, dsn_url(base, made.public_key, made.project_id)))

    @get("/", operation_id="listDsns", description="List the current tenant's DSNs, oldest first.")
    async def list_dsns(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.DsnList:
        """The org's DSNs."""
        base = public_base(request, gateway)
        found = (await gateway.ingest.list_dsns(principal, pb.ListDsnsRequest())).dsns
        return s.DsnList(dsns=[s.dsn(d, dsn_url(base, d.public_key, d.project_id)) for d in found])

    @delete(
        "/{dsnId:str}",
        status_code=200,
        operation_id="deleteDsn",
        description="Delete a DSN; its key is refused (401) within seconds. 404 for another tenant's. Requires org admin or owner.",  # noqa: E501
    )
    async def remove(
        self, dsnId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.Deleted:
        """Delete a DSN."""
        response = await gateway.ingest.delete_dsn(principal, pb.DeleteDsnRequest(dsn_id=dsnId))
        return s.Deleted(deleted=response.deleted)


class ErrorGroupsController(Controller):
    """Error groups of the caller's org."""

    path = "/api/errors/groups"
    tags = TAGS
    security = SECURITY
    dependencies = TENANT

    @get(
        "/",
        operation_id="listErrorGroups",
        description="List error groups, most recently seen first. Filters: `status` (unresolved|resolved|ignored), `projectId`, `limit` 1..500 (default 100).",  # noqa: E501
    )
    async def list_groups(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        status: FromQuery[str] = "",
        projectId: FromQuery[int] = 0,
        limit: FromQuery[int] = 0,
    ) -> s.GroupList:
        """The org's groups."""
        request = pb.ListErrorGroupsRequest(status=status, project_id=projectId, limit=limit)
        response = await gateway.ingest.list_error_groups(principal, request)
        return s.GroupList(groups=[s.group(g) for g in response.groups])

    @get(
        "/{groupId:str}",
        operation_id="getErrorGroup",
        description="Get an error group with its latest event. 404 for another tenant's.",
    )
    async def get_group(
        self, groupId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.GroupEnvelope:
        """One group."""
        response = await gateway.ingest.get_error_group(principal, pb.GetErrorGroupRequest(group_id=groupId))
        latest = s.event(response.latest_event) if response.HasField("latest_event") else None
        return s.GroupEnvelope(group=s.group(response.group), latest_event=latest)

    @get(
        "/{groupId:str}/events",
        operation_id="listErrorEvents",
        description="List a group's events, newest first, with stack traces. `limit` 1..500 (default 50).",
    )
    async def list_events(
        self,
        groupId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        limit: FromQuery[int] = 0,
    ) -> s.EventList:
        """A group's events."""
        request = pb.ListErrorEventsRequest(group_id=groupId, limit=limit)
        response = await gateway.ingest.list_error_events(principal, request)
        return s.EventList(events=[s.event(e) for e in response.events])

    async def _set(
        self, principal: Principal, gateway: Gateway, group_id: str, status: str
    ) -> s.GroupEnvelope:
        request = pb.SetErrorGroupStatusRequest(group_id=group_id, status=s.STATUS_BY_NAME[status])
        response = await gateway.ingest.set_error_group_status(principal, request)
        return s.GroupEnvelope(group=s.group(response.group))

    @patch(
        "/{groupId:str}",
        operation_id="updateErrorGroup",
        description="Set a group's `status` (unresolved|resolved|ignored). A new event reopens a resolved group. Requires org admin or owner.",  # noqa: E501
    )
    async def update(
        self,
        groupId: FromPath[str],
        data: JSONBody[s.GroupUpdate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.GroupEnvelope:
        """Change a group's status."""
        return await self._set(principal, gateway, groupId, data.status)

    @post(
        "/{groupId:str}/resolve",
        status_code=200,
        operation_id="resolveErrorGroup",
        description="Mark a group resolved.",
    )
    async def resolve(
        self, groupId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.GroupEnvelope:
        """Resolve a group."""
        return await self._set(principal, gateway, groupId, "resolved")

    @post(
        "/{groupId:str}/ignore",
        status_code=200,
        operation_id="ignoreErrorGroup",
        description="Mark a group ignored.",
    )
    async def ignore(
        self, groupId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.GroupEnvelope:
        """Ignore a group."""
        return await self._set(principal, gateway, groupId, "ignored")


@dataclass
class SourceMapUpload:
    """Multipart fields of a source map upload (Sentry's artifact field names)."""

    release: str
    name: str
    file: UploadFile


class SourceMapsController(Controller):
    """Source maps of the caller's org."""

    path = "/api/errors/sourcemaps"
    tags = TAGS
    security = SECURITY
    dependencies = TENANT

    @post(
        "/",
        status_code=201,
        operation_id="uploadSourceMap",
        request_max_body_size=SOURCE_MAP_BODY_MAX,
        description="Upload a source map as multipart/form-data: `release`, `name` (the file name, e.g. ~/static/app.js.map) and `file`. Replaces the map of the same release and name. Larger than INGEST_SOURCEMAP_MAX_BYTES (3 MiB) is 413. Requires org admin or owner.",  # noqa: E501
    )
    async def upload(
        self,
        data: Annotated[SourceMapUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.SourceMapEnvelope:
        """Store a source map."""
        content = await data.file.read()
        request = pb.UploadSourceMapRequest(release=data.release, file_name=data.name, content=content)
        response = await gateway.ingest.upload_source_map(principal, request)
        return s.SourceMapEnvelope(source_map=s.source_map(response.source_map))

    @get("/", operation_id="listSourceMaps", description="List source maps, newest first; `release` filters.")
    async def list_maps(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        release: FromQuery[str] = "",
    ) -> s.SourceMapList:
        """The org's source maps."""
        response = await gateway.ingest.list_source_maps(principal, pb.ListSourceMapsRequest(release=release))
        return s.SourceMapList(source_maps=[s.source_map(m) for m in response.source_maps])

    @delete(
        "/{sourceMapId:str}",
        status_code=200,
        operation_id="deleteSourceMap",
        description="Delete a source map. 404 for another tenant's. Requires org admin or owner.",
    )
    async def remove(
        self,
        sourceMapId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Deleted:
        """Delete a source map."""
        response = await gateway.ingest.delete_source_map(
            principal, pb.DeleteSourceMapRequest(source_map_id=sourceMapId)
        )
        return s.Deleted(deleted=response.deleted)


class NativeIngestController(Controller):
    """Errors reported without a Sentry SDK."""

    path = "/api/errors/ingest"
    tags = TAGS

    @post(
        "/",
        status_code=200,
        operation_id="ingestError",
        request_max_body_size=None,
        description="Report one error as JSON with the DSN public key as `Authorization: Bearer <key>` (401 when missing or unknown): `message` or `exception` {type, value, frames[{function, filename, module, lineno, colno, inApp}]} is required; optional eventId (UUID), level, fingerprint, release, environment, platform, tags, timestamp (RFC 3339). Grouped like Sentry events. Size and rate limits as for Sentry ingest. 200 {id} once durable.",  # noqa: E501
    )
    async def ingest(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]
    ) -> s.IngestAccepted:
        """Accept a native error."""
        key = await door.authenticate(gateway, request, door.bearer_key(request))
        native = _native(await door.read_decoded(request, gateway))
        event_id = door.event_id_of(native.event_id, "eventId")
        body = json.dumps(s.sentry_event(native), separators=(",", ":")).encode()
        await door.publish(gateway, key, body, kind="store", event_id=event_id)
        return s.IngestAccepted(id=event_id)


def _native(body: bytes) -> s.NativeError:
    try:
        native = msgspec.json.decode(body, type=s.NativeError)
    except msgspec.ValidationError as exc:
        path = str(exc).rsplit("at `$.", 1)
        key = path[1].rstrip("`").split(".")[0].split("[")[0] if len(path) == 2 else None
        raise GatewayError(400, field_message(str(exc), key)) from exc
    except msgspec.DecodeError as exc:
        raise GatewayError(400, "invalid JSON body") from exc
    if not native.message and native.exception is None:
        raise GatewayError(400, "message or exception is required")
    return native
