"""``python -m switchyard.workers migrate|serve``."""

from __future__ import annotations

import sys

from switchyard.grpckit.cli import run_service
from switchyard.workers.config import Settings
from switchyard.workers.server import migrate, start


def main(argv: list[str] | None = None) -> int:
    """Run ``migrate`` or ``serve`` with settings from the environment."""
    return run_service("workers", settings=Settings, migrate=migrate, start=start, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
