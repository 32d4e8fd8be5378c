"""Error group and source map RPCs."""

from __future__ import annotations

from switchyard.grpckit.errors import InvalidArgument
from switchyard.grpckit.principal import get_principal
from switchyard.ingest.rpc import _mapping as m
from switchyard.ingest.rpc._context import Base, Context
from switchyard.ingest.v1 import ingest_service_pb2 as svc


class GroupRpc(Base):
    """ListErrorGroups, GetErrorGroup, ListErrorEvents, SetErrorGroupStatus."""

    async def ListErrorGroups(
        self, request: svc.ListErrorGroupsRequest, context: Context
    ) -> svc.ListErrorGroupsResponse:
        """The org's groups."""
        views = await self._s.groups.find(
            principal=get_principal(),
            status=request.status,
            project_id=request.project_id,
            limit=request.limit,
        )
        return svc.ListErrorGroupsResponse(groups=[m.group(v) for v in views])

    async def GetErrorGroup(
        self, request: svc.GetErrorGroupRequest, context: Context
    ) -> svc.GetErrorGroupResponse:
        """One group and its latest event."""
        view, latest = await self._s.groups.get(principal=get_principal(), group_id=request.group_id)
        response = svc.GetErrorGroupResponse(group=m.group(view))
        if latest is not None:
            response.latest_event.CopyFrom(m.event(latest))
        return response

    async def ListErrorEvents(
        self, request: svc.ListErrorEventsRequest, context: Context
    ) -> svc.ListErrorEventsResponse:
        """A group's events."""
        views = await self._s.groups.events(
            principal=get_principal(), group_id=request.group_id, limit=request.limit
        )
        return svc.ListErrorEventsResponse(events=[m.event(v) for v in views])

    async def SetErrorGroupStatus(
        self, request: svc.SetErrorGroupStatusRequest, context: Context
    ) -> svc.SetErrorGroupStatusResponse:
        """Change a group's status."""
        status = m.STATUS_FROM_PB.get(request.status)
        if status is None:
            raise InvalidArgument(
                "status must be one of unresolved, resolved, ignored", fields={"status": "invalid"}
            )
        view = await self._s.groups.set_status(
            principal=get_principal(), group_id=request.group_id, status=status
        )
        return svc.SetErrorGroupStatusResponse(group=m.group(view))


class SourceMapRpc(Base):
    """UploadSourceMap, ListSourceMaps, DeleteSourceMap."""

    async def UploadSourceMap(
        self, request: svc.UploadSourceMapRequest, context: Context
    ) -> svc.UploadSourceMapResponse:
        """Store a source map."""
        view = await self._s.source_maps.upload(
            principal=get_principal(),
            release=request.release,
            file_name=request.file_name,
            content=request.content,
        )
        return svc.UploadSourceMapResponse(source_map=m.source_map(view))

    async def ListSourceMaps(
        self, request: svc.ListSourceMapsRequest, context: Context
    ) -> svc.ListSourceMapsResponse:
        """The org's source maps."""
        views = await self._s.source_maps.list(principal=get_principal(), release=request.release)
        return svc.ListSourceMapsResponse(source_maps=[m.source_map(v) for v in views])

    async def DeleteSourceMap(
        self, request: svc.DeleteSourceMapRequest, context: Context
    ) -> svc.DeleteSourceMapResponse:
        """Delete a source map."""
        await self._s.source_maps.delete(principal=get_principal(), source_map_id=request.source_map_id)
        return svc.DeleteSourceMapResponse(deleted=True)
