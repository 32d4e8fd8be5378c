"""Apply every service's migrations by running ``python -m switchyard.<svc> migrate``.

Libraries never import a service package (import-linter forbids it), so each service migrates itself in a
subprocess with the stack URLs in its environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

from switchyard.stack._urls import StackUrls

# Services that own a database schema, in start order; add a service here when it gains migrations.
# deploy comes after agents: it consumes the AGENTS stream, which agents creates at start.
SERVICES: tuple[str, ...] = ("identity", "workers", "mutations", "agents", "deploy", "ingest")


def service_env(urls: StackUrls, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Our environment plus the stack URLs (and ``extra``), as handed to service processes."""
    env = dict(os.environ)
    env.update(urls.as_env())
    env.update(extra or {})
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def migrate_all(
    urls: StackUrls, *, services: Sequence[str] = SERVICES, extra_env: Mapping[str, str] | None = None
) -> None:
    """Run each service's ``migrate`` command in turn.

    Args:
        urls: Where the servers are.
        services: Service names (``switchyard.<name>`` modules).
        extra_env: More variables for the subprocesses (e.g. ``SWITCHYARD_PRINCIPAL_KEY``).

    Raises:
        subprocess.CalledProcessError: A service's migration failed (its output is on our stderr).
    """
    env = service_env(urls, extra_env)
    for service in services:
        print(f"migrating {service} ...", file=sys.stderr, flush=True)
        subprocess.run(
            [sys.executable, "-m", f"switchyard.{service}", "migrate"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr,
            check=True,
        )
