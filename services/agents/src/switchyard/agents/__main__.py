"""``python -m switchyard.agents migrate|serve``."""

from __future__ import annotations

import sys

from switchyard.agents.config import Settings
from switchyard.agents.server import migrate, start
from switchyard.grpckit.cli import run_service


def main(argv: list[str] | None = None) -> int:
    """Run ``migrate`` or ``serve`` with settings from the environment."""
    return run_service("agents", settings=Settings, migrate=migrate, start=start, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
