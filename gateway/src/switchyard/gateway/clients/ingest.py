"""The ingest service as the gateway sees it: one method per RPC (principal, request id, deadline)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from switchyard.gateway.clients._base import ServiceClient
from switchyard.grpckit.principal import Principal
from switchyard.ingest.v1 import analytics_pb2 as apb
from switchyard.ingest.v1 import ingest_service_pb2 as pb
from switchyard.ingest.v1 import ingest_service_pb2_grpc as pb_grpc
from switchyard.ingest.v1 import telemetry_pb2 as tpb

if TYPE_CHECKING:
    pass


class IngestClient(ServiceClient):
    """Async client of ``switchyard.ingest.v1.IngestService``.

    Args:
        channel: A channel to ingest (round robin over its replicas).
        signer: Signs the principal of each call.
        timeout: Deadline of each call, in seconds.
    """

    stub_type = pb_grpc.IngestServiceStub

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

    async def list_trace_services(
        self, principal: Principal, request: tpb.ListTraceServicesRequest
    ) -> tpb.ListTraceServicesResponse:
        """The service names of the org's spans."""
        result: tpb.ListTraceServicesResponse = await self._call("ListTraceServices", request, principal)
        return result

    async def search_traces(
        self, principal: Principal, request: tpb.SearchTracesRequest
    ) -> tpb.SearchTracesResponse:
        """The org's most recent traces of a service (and operation)."""
        result: tpb.SearchTracesResponse = await self._call("SearchTraces", request, principal)
        return result

    async def get_trace(self, principal: Principal, request: tpb.GetTraceRequest) -> tpb.GetTraceResponse:
        """One trace; NOT_FOUND when the org has none with that id."""
        result: tpb.GetTraceResponse = await self._call("GetTrace", request, principal)
        return result

    async def search_logs(
        self, principal: Principal, request: tpb.SearchLogsRequest
    ) -> tpb.SearchLogsResponse:
        """One page of the org's log lines, newest first."""
        result: tpb.SearchLogsResponse = await self._call("SearchLogs", request, principal)
        return result

    async def list_analytics_events(
        self, principal: Principal, request: apb.ListAnalyticsEventsRequest
    ) -> apb.ListAnalyticsEventsResponse:
        """Lists the org's analytics events, newest first."""
        result: apb.ListAnalyticsEventsResponse = await self._call("ListAnalyticsEvents", request, principal)
        return result

    async def top_analytics_events(
        self, principal: Principal, request: apb.TopAnalyticsEventsRequest
    ) -> apb.TopAnalyticsEventsResponse:
        """The 20 most frequent event names of a window."""
        result: apb.TopAnalyticsEventsResponse = await self._call("TopAnalyticsEvents", request, principal)
        return result

    async def analytics_funnel(
        self, principal: Principal, request: apb.AnalyticsFunnelRequest
    ) -> apb.AnalyticsFunnelResponse:
        """Distinct ids per step of a strict funnel."""
        result: apb.AnalyticsFunnelResponse = await self._call("AnalyticsFunnel", request, principal)
        return result

    async def analytics_retention(
        self, principal: Principal, request: apb.AnalyticsRetentionRequest
    ) -> apb.AnalyticsRetentionResponse:
        """Cohort retention by day, week or month."""
        result: apb.AnalyticsRetentionResponse = await self._call("AnalyticsRetention", request, principal)
        return result

    async def analytics_retention_summary(
        self, principal: Principal, request: apb.AnalyticsRetentionSummaryRequest
    ) -> apb.AnalyticsRetentionSummaryResponse:
        """D1/D7/D30 retention."""
        result: apb.AnalyticsRetentionSummaryResponse = await self._call(
            "AnalyticsRetentionSummary", request, principal
        )
        return result

    async def create_metrics_key(
        self, principal: Principal, request: apb.CreateMetricsKeyRequest
    ) -> apb.CreateMetricsKeyResponse:
        """Mints a metrics push key (the raw key is in the reply once)."""
        result: apb.CreateMetricsKeyResponse = await self._call("CreateMetricsKey", request, principal)
        return result

    async def list_metrics_keys(
        self, principal: Principal, request: apb.ListMetricsKeysRequest
    ) -> apb.ListMetricsKeysResponse:
        """Lists the org's metrics push keys."""
        result: apb.ListMetricsKeysResponse = await self._call("ListMetricsKeys", request, principal)
        return result

    async def revoke_metrics_key(
        self, principal: Principal, request: apb.RevokeMetricsKeyRequest
    ) -> apb.RevokeMetricsKeyResponse:
        """Revokes a metrics push key."""
        result: apb.RevokeMetricsKeyResponse = await self._call("RevokeMetricsKey", request, principal)
        return result

    async def push_service_metrics(
        self, principal: Principal, request: apb.PushServiceMetricsRequest
    ) -> apb.PushServiceMetricsResponse:
        """Pushes metrics; answered once durable in JetStream."""
        result: apb.PushServiceMetricsResponse = await self._call("PushServiceMetrics", request, principal)
        return result

    async def query_service_metrics(
        self, principal: Principal, request: apb.QueryServiceMetricsRequest
    ) -> apb.QueryServiceMetricsResponse:
        """A service's bucketed series per instance."""
        result: apb.QueryServiceMetricsResponse = await self._call("QueryServiceMetrics", request, principal)
        return result
