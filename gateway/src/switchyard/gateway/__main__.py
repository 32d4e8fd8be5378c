"""Run the gateway: ``python -m switchyard.gateway`` (uvicorn with uvloop and httptools)."""

from __future__ import annotations

import os

import uvicorn
from switchyard.gateway.app import create_app
from switchyard.gateway.config import Settings
from switchyard.obs import setup_logging, setup_tracing


def _observe() -> None:
    setup_logging("gateway")
    setup_tracing("gateway", endpoint=os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def app_factory() -> object:
    """Build the app from the environment; every uvicorn worker process calls this."""
    # Worker processes are spawned fresh, so each sets up its own logging and tracing.
    _observe()
    return create_app(Settings(), settle_heap_on_startup=True)  # type: ignore[call-arg]


def main() -> None:
    """Read GATEWAY_HOST/PORT/WORKERS and serve until SIGTERM."""
    _observe()
    Settings()  # type: ignore[call-arg]  # fail the boot early on a missing or bad setting
    uvicorn.run(
        "switchyard.gateway.__main__:app_factory",
        factory=True,
        host=os.environ.get("GATEWAY_HOST", "127.0.0.1"),
        port=int(os.environ.get("GATEWAY_PORT", "8000")),
        workers=int(os.environ.get("GATEWAY_WORKERS", "1")),
        loop="uvloop",
        http="httptools",
        access_log=False,
        # Keep obs' JSON logging: uvicorn's own log config would replace it with plain text.
        log_config=None,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
