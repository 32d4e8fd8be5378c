"""``python -m switchyard.identity migrate|serve``."""

from __future__ import annotations

import sys

from switchyard.grpckit.cli import run_service
from switchyard.identity.config import Settings
from switchyard.identity.server import IdentityServer, migrate, start


def _announce_root_owner(server: IdentityServer) -> None:
    if server.bootstrap.generated_password:
        # Printed once, on the start that created the root owner, so an operator can sign in.
        boot = server.bootstrap
        print(f"root owner: {boot.root_email} / {boot.generated_password}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run ``migrate`` or ``serve`` with settings from the environment."""
    return run_service(
        "identity",
        settings=Settings,
        migrate=migrate,
        start=start,
        on_started=_announce_root_owner,
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
