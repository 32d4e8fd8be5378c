"""``python -m switchyard.deploy migrate|serve``."""

from __future__ import annotations

import sys

from switchyard.deploy.config import Settings
from switchyard.deploy.server import migrate, start
from switchyard.grpckit.cli import run_service


def main(argv: list[str] | None = None) -> int:
    """Run ``migrate`` or ``serve`` with settings from the environment."""
    return run_service("deploy", settings=Settings, migrate=migrate, start=start, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
