"""Placeholder until the embedded stack lands: tells the developer how to point tests at servers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from switchyard.stack._urls import StackUrls


@contextmanager
def session_stack() -> Iterator[StackUrls]:
    """Start (or reuse) the embedded stack for one pytest run."""
    raise RuntimeError("embedded stack not implemented yet: set DATABASE_URL, REDIS_URL and NATS_URL")
    yield  # pragma: no cover
