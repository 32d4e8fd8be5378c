"""``python -m switchyard.mutations migrate|serve``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from switchyard.grpckit.server import serve_forever
from switchyard.mutations.config import Settings
from switchyard.mutations.server import migrate, start
from switchyard.obs import settle_heap, setup_logging, setup_tracing


async def _serve(settings: Settings) -> None:
    server = await start(settings)
    settle_heap()
    await serve_forever(server.running, on_shutdown=[server.close])


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, load settings from the environment and run the command."""
    parser = argparse.ArgumentParser(prog="python -m switchyard.mutations")
    parser.add_argument("command", choices=["migrate", "serve"])
    args = parser.parse_args(argv)
    settings = Settings()  # type: ignore[call-arg]  # required values come from the environment
    setup_logging("mutations")
    setup_tracing("mutations", endpoint=settings.otel_endpoint)
    if args.command == "migrate":
        asyncio.run(migrate(settings))
    else:
        asyncio.run(_serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
