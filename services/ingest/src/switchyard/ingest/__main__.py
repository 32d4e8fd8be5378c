"""``python -m switchyard.ingest migrate|serve``."""

from __future__ import annotations

import sys

from switchyard.grpckit.cli import run_service
from switchyard.ingest.config import Settings
from switchyard.ingest.server import migrate, start


def main(argv: list[str] | None = None) -> int:
    """Run ``migrate`` or ``serve`` with settings from the environment."""
    return run_service("ingest", settings=Settings, migrate=migrate, start=start, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
