"""A gateway served on a real loopback port, for clients that need a socket (SDKs in threads or processes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from switchyard.gateway.app import create_app
from switchyard.gateway.config import Settings as GatewaySettings
from switchyard.testing import free_port


@asynccontextmanager
async def http_gateway(settings: GatewaySettings) -> AsyncIterator[str]:
    """A gateway served by uvicorn on a loopback port in this loop; yields its base URL.

    The SDK exporters send with ``requests`` from their own threads, so they need a real socket.
    """
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not serving.done(), serving.result()
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
