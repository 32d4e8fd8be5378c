"""``python -m switchyard.agent`` / ``switchyard-agent``: run the agent until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import signal
import sys

from switchyard.agent.agent import Agent
from switchyard.agent.config import ConfigError, load_config
from switchyard.agent.logs import LogBuffer, setup_logging


async def _serve() -> None:
    config = load_config()
    buffer = LogBuffer()
    setup_logging(config.log_file, buffer)
    agent = Agent(config, buffer=buffer)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, agent.stop.set)
    await agent.run()


def main() -> None:
    """Entry point of the ``switchyard-agent`` console script."""
    try:
        asyncio.run(_serve())
    except ConfigError as exc:
        print(f"switchyard-agent: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
