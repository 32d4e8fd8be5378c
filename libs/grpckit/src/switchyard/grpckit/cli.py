"""The command line every service shares: ``python -m switchyard.<svc> migrate|serve``."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Protocol, TypeVar

from switchyard.grpckit.server import RunningServer, serve_forever
from switchyard.obs import settle_heap, setup_logging, setup_tracing


class ServiceSettings(Protocol):
    """What the command line needs from a service's settings."""

    @property
    def otel_endpoint(self) -> str | None:
        """``OTEL_EXPORTER_OTLP_ENDPOINT``; tracing stays off when empty."""
        ...


class StartedService(Protocol):
    """What ``start()`` returns: the gRPC server and how to release the service's resources."""

    @property
    def running(self) -> RunningServer:
        """The started gRPC server."""
        ...

    async def close(self) -> None:
        """Stop background work and close pools (after the server stopped)."""
        ...


S = TypeVar("S", bound=ServiceSettings)
T = TypeVar("T", bound=StartedService)


def run_service(
    name: str,
    *,
    # Callable[..., S]: pydantic-settings classes take their required fields from the environment.
    settings: Callable[..., S],
    migrate: Callable[[S], Coroutine[Any, Any, None]],
    start: Callable[[S], Awaitable[T]],
    on_started: Callable[[T], Any] | None = None,
    argv: Sequence[str] | None = None,
) -> int:
    """Parse ``migrate|serve``, load settings from the environment and run the command.

    ``serve`` starts the service, settles the heap (``obs.settle_heap``), then serves until SIGTERM or
    SIGINT and shuts down gracefully. A missing or bad setting stops the boot with pydantic's message.

    Args:
        name: The service name (``identity``): the program name, log field and trace service name.
        settings: Builds the settings from the environment.
        migrate: Applies the service's migrations.
        start: Starts the service (it does not migrate).
        on_started: Called once with the started service, e.g. to print first-start credentials.
        argv: The arguments (``sys.argv[1:]`` when None).

    Returns:
        The process exit code.
    """
    parser = argparse.ArgumentParser(prog=f"python -m switchyard.{name}")
    parser.add_argument("command", choices=["migrate", "serve"])
    args = parser.parse_args(argv)
    loaded = settings()
    setup_logging(name)
    setup_tracing(name, endpoint=loaded.otel_endpoint)
    if args.command == "migrate":
        asyncio.run(migrate(loaded))
        return 0

    async def serve() -> None:
        # Signals are owned from before start(): a SIGTERM while the service is still starting (or
        # right after it announced itself) then still ends in a graceful stop.
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        service = await start(loaded)
        if on_started is not None:
            on_started(service)
        settle_heap()
        await serve_forever(service.running, on_shutdown=[service.close], stop=stop)

    asyncio.run(serve())
    return 0


__all__ = ["ServiceSettings", "StartedService", "run_service"]
