"""pytest plugin ``switchyard``: one stack per run plus SMTP sink and principal key fixtures.

With ``DATABASE_URL``, ``REDIS_URL`` and ``NATS_URL`` all set, the fixtures hand those out; otherwise the
embedded stack is started once per run (or reused when ``just up`` already runs it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import structlog
from switchyard.stack import StackUrls, urls_from_env, with_env_overrides
from switchyard.testing._outbox import scratch_outbox
from switchyard.testing._ports import free_port
from switchyard.testing._smtp import SmtpSink


def _plain_tracebacks() -> None:
    # In-process services log through structlog's defaults in tests, whose console renderer draws rich
    # tracebacks with every local variable: slow enough (a few hundred ms each, on the shared event loop)
    # that a burst of logged errors stalls every in-process service past its deadlines, and locals may
    # hold secrets. Keep the default renderer, with plain tracebacks. A test that configured another
    # renderer keeps it.
    processors = list(structlog.get_config()["processors"])
    if processors and isinstance(processors[-1], structlog.dev.ConsoleRenderer):
        processors[-1] = structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
        structlog.configure(processors=processors)


def pytest_configure(config: pytest.Config) -> None:
    """Plain tracebacks in structlog's console renderer for the whole run."""
    _plain_tracebacks()


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Again after each test: a test that called ``structlog.reset_defaults()`` brought rich back."""
    _plain_tracebacks()


@pytest.fixture(scope="session")
def stack_urls() -> Iterator[StackUrls]:
    """URLs of PostgreSQL, Redis and NATS for this run; each set env var wins over the embedded server."""
    configured = urls_from_env()
    if configured is not None:
        yield configured
        return
    # Imported lazily: runs that have URLs configured never touch the embedded-server machinery.
    from switchyard.stack._session import session_stack

    with session_stack() as urls:
        yield with_env_overrides(urls)


@pytest.fixture(scope="session")
def database_url(stack_urls: StackUrls) -> str:
    """PostgreSQL URL (``postgresql://...``) for this run."""
    return stack_urls.database_url


@pytest.fixture(scope="session")
def redis_url(stack_urls: StackUrls) -> str:
    """Redis/Valkey URL (``redis://...``) for this run."""
    return stack_urls.redis_url


@pytest.fixture(scope="session")
def nats_url(stack_urls: StackUrls) -> str:
    """NATS URL (``nats://...``, JetStream enabled) for this run."""
    return stack_urls.nats_url


@pytest.fixture(scope="session")
def principal_key() -> bytes:
    """A fresh 32-byte principal signing key, shared by every server and client of this run."""
    return os.urandom(32)


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server on a free loopback port that collects every message of the run."""
    sink = SmtpSink(host="127.0.0.1", port=free_port())
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


__all__ = ["scratch_outbox"]  # re-exported so pytest registers the fixture from this plugin
