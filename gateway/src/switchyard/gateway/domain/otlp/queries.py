"""Trace and log queries: ``/api/traces*`` (Jaeger's JSON), ``/api/apps/{appId}/logs`` and ``/api/logs``.

Tenant from ``X-Tenant-ID`` (or the key's org); any member may read. Another org's trace is 404.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from google.protobuf.timestamp_pb2 import Timestamp
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from switchyard.gateway.auth.deps import TENANT
from switchyard.gateway.domain.otlp.views import LogPage, jaeger_trace, log_line
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal
from switchyard.ingest.v1 import telemetry_pb2 as tpb

FromTime = Annotated[str, QueryParameter(name="from", required=False)]
TAGS = ["Traces and logs"]
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
_LOG_QUERY = (
    "Newest first. `from`/`to`: RFC 3339 times (`to` exclusive); `level`: one or a comma list of trace, "
    "debug, info, warn, error, fatal; `q`: a regular expression matched case-insensitively against the body "
    "(at most 200 characters; an invalid or too expensive one is 400); `limit` 1..1000 (default 100); "
    "`cursor`: the previous page's `nextCursor`. "
)


def _stamp(value: str, field: str) -> Timestamp | None:
    text = value.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError("no offset")
    except (ValueError, OverflowError) as exc:
        raise GatewayError(400, f"{field} must be an RFC 3339 time with an offset") from exc
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def _limit(value: int, maximum: int) -> int:
    if not 1 <= value <= maximum:
        raise GatewayError(400, f"limit must be 1..{maximum}")
    return value


def provide_log_query(
    from_: FromTime = "",
    to: FromQuery[str] = "",
    level: FromQuery[str] = "",
    q: FromQuery[str] = "",
    limit: FromQuery[int] = 100,
    cursor: FromQuery[str] = "",
    source: FromQuery[str] = "",
) -> tpb.SearchLogsRequest:
    """The log filters both log routes take, as a SearchLogsRequest without its app."""
    request = tpb.SearchLogsRequest(
        level=level, query=q, limit=_limit(limit, 1000), cursor=cursor, source=source
    )
    for field, value in (("from", from_), ("to", to)):
        stamp = _stamp(value, field)
        if stamp is not None:
            getattr(request, field).CopyFrom(stamp)
    return request


LOG_QUERY = TENANT | {"log_query": Provide(provide_log_query, sync_to_thread=False)}


async def search_logs(
    gateway: Gateway, principal: Principal, request: tpb.SearchLogsRequest, app: str
) -> LogPage:
    """One page of the org's log lines (of ``app`` when given)."""
    request.app_id = app
    response = await gateway.ingest.search_logs(principal, request)
    return LogPage(data=[log_line(r) for r in response.records], next_cursor=response.next_cursor)


class TracesController(Controller):
    """Traces received over OTLP."""

    path = "/api/traces"
    tags = TAGS
    security = SECURITY
    dependencies = TENANT

    @get(
        "/services",
        operation_id="listTraceServices",
        description="The service names (resource `service.name`) that sent spans to the current tenant, "
        "sorted, as Jaeger's `{data: [...], total}`.",
    )
    async def services(
        self, principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> dict[str, Any]:
        """Service names."""
        response = await gateway.ingest.list_trace_services(principal, tpb.ListTraceServicesRequest())
        return {"data": list(response.services), "total": len(response.services)}

    @get(
        "/",
        operation_id="searchTraces",
        description="The most recent traces with a span of `service` (required) and, when given, named "
        "`operation`; `limit` 1..100 (default 20). Jaeger's shape: `{data: [{traceID, spans: [{traceID, "
        "spanID, operationName, references, startTime (µs), duration (µs), tags, logs, processID}], "
        "processes: {p1: {serviceName, tags}}}]}`.",
    )
    async def search(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        service: FromQuery[str] = "",
        operation: FromQuery[str] = "",
        limit: FromQuery[int] = 20,
    ) -> dict[str, Any]:
        """Traces of a service."""
        if not service.strip():
            raise GatewayError(400, "service is required")
        request = tpb.SearchTracesRequest(service=service, operation=operation, limit=_limit(limit, 100))
        response = await gateway.ingest.search_traces(principal, request)
        return {"data": [jaeger_trace(t) for t in response.traces], "total": len(response.traces)}

    @get(
        "/{traceId:str}",
        operation_id="getTrace",
        description="One trace as a waterfall (spans by start time, parent references, µs times) in Jaeger's "
        "shape `{data: [trace]}`. 404 when the tenant has no span of that trace id (32 hex characters).",
    )
    async def get_trace(
        self, traceId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> dict[str, Any]:
        """One trace."""
        response = await gateway.ingest.get_trace(principal, tpb.GetTraceRequest(trace_id=traceId))
        return {"data": [jaeger_trace(response.trace)]}


class AppLogsController(Controller):
    """The log store of an app: its OTLP log records and the agent's lines of its containers."""

    path = "/api/apps/{appId:str}/logs"
    tags = TAGS
    security = SECURITY
    dependencies = LOG_QUERY

    @get(
        "/",
        operation_id="searchAppLogs",
        description="Search an app's logs (404 when the tenant knows no such app). " + _LOG_QUERY,
    )
    async def search(
        self,
        appId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        log_query: NamedDependency[tpb.SearchLogsRequest],
    ) -> LogPage:
        """An app's log lines."""
        return await search_logs(gateway, principal, log_query, appId)


class LogsController(Controller):
    """The tenant's whole log store (server-level agent lines included)."""

    path = "/api/logs"
    tags = TAGS
    security = SECURITY
    dependencies = LOG_QUERY

    @get(
        "/",
        operation_id="searchLogs",
        description="Search the tenant's logs; `app` keeps one app's. " + _LOG_QUERY,
    )
    async def search(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        log_query: NamedDependency[tpb.SearchLogsRequest],
        app: FromQuery[str] = "",
    ) -> LogPage:
        """The tenant's log lines."""
        return await search_logs(gateway, principal, log_query, app)


ROUTES = [TracesController, AppLogsController, LogsController]
