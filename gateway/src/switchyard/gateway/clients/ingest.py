"""The ingest service as the gateway sees it: one method per RPC (principal, request id, deadline)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from switchyard.grpckit.client import call_metadata
from switchyard.grpckit.principal import Principal, PrincipalSigner
from switchyard.ingest.v1 import ingest_service_pb2 as pb
from switchyard.ingest.v1 import ingest_service_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    import grpc


class IngestClient:
    """Async client of ``switchyard.ingest.v1.IngestService``.

    Args:
        channel: A channel to ingest (round robin over its replicas).
        signer: Signs the principal of each call.
        timeout: Deadline of each call, in seconds.
    """

    def __init__(self, channel: grpc.aio.Channel, *, signer: PrincipalSigner, timeout: float) -> None:
        self._stub = pb_grpc.IngestServiceStub(channel)  # type: ignore[no-untyped-call]
        self._signer = signer
        self._timeout = timeout

    async def _call(self, method: str, request: Any, principal: Principal) -> Any:
        metadata = call_metadata(self._signer.sign(principal), principal.request_id)
        return await getattr(self._stub, method)(request, metadata=metadata, timeout=self._timeout)

    async def create_dsn(self, principal: Principal, request: pb.CreateDsnRequest) -> pb.CreateDsnResponse:
        """Mints a DSN in the caller's org."""
        result: pb.CreateDsnResponse = await self._call("CreateDsn", request, principal)
        return result

    async def list_dsns(self, principal: Principal, request: pb.ListDsnsRequest) -> pb.ListDsnsResponse:
        """Lists the org's DSNs, oldest first."""
        result: pb.ListDsnsResponse = await self._call("ListDsns", request, principal)
        return result

    async def delete_dsn(self, principal: Principal, request: pb.DeleteDsnRequest) -> pb.DeleteDsnResponse:
        """Deletes a DSN."""
        result: pb.DeleteDsnResponse = await self._call("DeleteDsn", request, principal)
        return result

    async def resolve_dsn_key(
        self, principal: Principal, request: pb.ResolveDsnKeyRequest
    ) -> pb.ResolveDsnKeyResponse:
        """The DSN of a public key; NOT_FOUND when none has it."""
        result: pb.ResolveDsnKeyResponse = await self._call("ResolveDsnKey", request, principal)
        return result

    async def list_error_groups(
        self, principal: Principal, request: pb.ListErrorGroupsRequest
    ) -> pb.ListErrorGroupsResponse:
        """Lists the org's error groups, most recently seen first."""
        result: pb.ListErrorGroupsResponse = await self._call("ListErrorGroups", request, principal)
        return result

    async def get_error_group(
        self, principal: Principal, request: pb.GetErrorGroupRequest
    ) -> pb.GetErrorGroupResponse:
        """Reads one error group with its latest event."""
        result: pb.GetErrorGroupResponse = await self._call("GetErrorGroup", request, principal)
        return result

    async def list_error_events(
        self, principal: Principal, request: pb.ListErrorEventsRequest
    ) -> pb.ListErrorEventsResponse:
        """Lists a group's events, newest first."""
        result: pb.ListErrorEventsResponse = await self._call("ListErrorEvents", request, principal)
        return result

    async def set_error_group_status(
        self, principal: Principal, request: pb.SetErrorGroupStatusRequest
    ) -> pb.SetErrorGroupStatusResponse:
        """Changes a group's status."""
        result: pb.SetErrorGroupStatusResponse = await self._call("SetErrorGroupStatus", request, principal)
        return result

    async def upload_source_map(
        self, principal: Principal, request: pb.UploadSourceMapRequest
    ) -> pb.UploadSourceMapResponse:
        """Stores a source map of a release's file."""
        result: pb.UploadSourceMapResponse = await self._call("UploadSourceMap", request, principal)
        return result

    async def list_source_maps(
        self, principal: Principal, request: pb.ListSourceMapsRequest
    ) -> pb.ListSourceMapsResponse:
        """Lists the org's source maps, newest first."""
        result: pb.ListSourceMapsResponse = await self._call("ListSourceMaps", request, principal)
        return result

    async def delete_source_map(
        self, principal: Principal, request: pb.DeleteSourceMapRequest
    ) -> pb.DeleteSourceMapResponse:
        """Deletes a source map."""
        result: pb.DeleteSourceMapResponse = await self._call("DeleteSourceMap", request, principal)
        return result
