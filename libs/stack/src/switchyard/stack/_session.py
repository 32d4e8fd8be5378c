"""One stack per pytest run: start what is missing, stop at the end only what this run started."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from switchyard.stack._lease import acquire_stack, release_stack
from switchyard.stack._urls import StackUrls

TESTCONTAINERS_ENV = "SWITCHYARD_TESTCONTAINERS"


@contextmanager
def session_stack() -> Iterator[StackUrls]:
    """Start (or reuse) the embedded stack; on exit stop the servers this run started.

    Servers that were already running (a developer's ``just up``) are left alone, which keeps re-runs fast;
    servers this run started keep running while another run still uses them.
    With ``SWITCHYARD_TESTCONTAINERS=1`` the servers run as Docker containers instead.
    """
    if os.environ.get(TESTCONTAINERS_ENV) == "1":
        from switchyard.stack._containers import containers_stack

        with containers_stack() as urls:
            yield urls
        return
    result = acquire_stack()
    try:
        yield result.urls
    finally:
        release_stack(result.paths)
