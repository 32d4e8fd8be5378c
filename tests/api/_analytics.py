"""Helpers of the analytics and service-metrics API tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
import httpx
import uvicorn
from switchyard.gateway.app import create_app
from switchyard.gateway.config import Settings as GatewaySettings
from switchyard.grpckit.principal import METADATA_KEY, Principal, PrincipalSigner
from switchyard.ingest.v1 import ingest_service_pb2 as svc
from switchyard.ingest.v1 import ingest_service_pb2_grpc as svc_grpc
from switchyard.testing import eventually, free_port


async def create_dsn(ingest_addr: str, principal_key: bytes, session: Any, app_id: str = "") -> Any:
    """A DSN in the session's org, minted over ingest's gRPC as that org's owner."""
    principal = Principal(kind="user", user_id=session.user_id, tenant_id=session.tenant_id, role="owner")
    metadata = ((METADATA_KEY, PrincipalSigner(principal_key).sign(principal)),)
    async with grpc.aio.insecure_channel(ingest_addr) as channel:
        stub = svc_grpc.IngestServiceStub(channel)
        reply = await stub.CreateDsn(
            svc.CreateDsnRequest(name="web", app_id=app_id), metadata=metadata, timeout=10
        )
    return reply.dsn


async def events_of(
    client: httpx.AsyncClient, session: Any, expected: int, **query: Any
) -> list[dict[str, Any]]:
    """``GET /api/analytics/events`` once it lists at least ``expected`` events."""

    async def probe() -> list[dict[str, Any]] | None:
        response = await client.get(
            "/api/analytics/events", headers=session.headers(), params={"limit": 1000, **query}
        )
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()["events"]
        return events if len(events) >= expected else None

    return await eventually(probe) or []


@asynccontextmanager
async def gateway_over_tcp(**settings: Any) -> AsyncIterator[str]:
    """A gateway served by uvicorn on a loopback port in this event loop; yields its base URL.

    Blocking clients (the posthog SDK uses ``requests``) need a real socket; run them in a thread so this
    loop keeps serving.
    """
    port = free_port()
    app = create_app(GatewaySettings(**settings))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
