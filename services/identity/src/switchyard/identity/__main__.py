"""``python -m switchyard.identity migrate|serve``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from switchyard.grpckit.server import serve_forever
from switchyard.identity.config import Settings
from switchyard.identity.server import migrate, start
from switchyard.obs import settle_heap, setup_logging, setup_tracing


async def _serve(settings: Settings) -> None:
    server = await start(settings)
    if server.bootstrap.generated_password:
        # Printed once, on the start that created the root owner, so an operator can sign in.
        print(
            f"root owner: {server.bootstrap.root_email} / {server.bootstrap.generated_password}", flush=True
        )
    settle_heap()
    await serve_forever(server.running, on_shutdown=[server.close])


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, load settings from the environment and run the command."""
    parser = argparse.ArgumentParser(prog="python -m switchyard.identity")
    parser.add_argument("command", choices=["migrate", "serve"])
    args = parser.parse_args(argv)
    settings = Settings()  # type: ignore[call-arg]  # required values come from the environment
    setup_logging("identity")
    setup_tracing("identity", endpoint=settings.otel_endpoint)
    if args.command == "migrate":
        asyncio.run(migrate(settings))
    else:
        asyncio.run(_serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
