"""Optional: the same three servers as Docker containers through testcontainers.

Used only with ``SWITCHYARD_TESTCONTAINERS=1``; needs ``pip install testcontainers`` and a Docker engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from switchyard.stack._urls import StackUrls


@contextmanager
def containers_stack() -> Iterator[StackUrls]:
    """Run PostgreSQL, Valkey and NATS (JetStream) containers for the duration of the block."""
    try:
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.waiting_utils import wait_for_logs
        from testcontainers.postgres import PostgresContainer
    except ImportError as exc:
        raise RuntimeError("SWITCHYARD_TESTCONTAINERS=1 needs the testcontainers package") from exc
    with ExitStack() as stack:
        pg: Any = stack.enter_context(
            PostgresContainer("postgres:17-alpine", username="postgres", password="pg", dbname="switchyard")
        )
        valkey: Any = stack.enter_context(DockerContainer("valkey/valkey:8-alpine").with_exposed_ports(6379))
        nats: Any = stack.enter_context(
            DockerContainer("nats:2-alpine").with_command("-js").with_exposed_ports(4222)
        )
        wait_for_logs(valkey, "Ready to accept connections")
        wait_for_logs(nats, "Server is ready")
        host = pg.get_container_host_ip()
        yield StackUrls(
            database_url=(f"postgresql://postgres:pg@{host}:{pg.get_exposed_port(5432)}/switchyard"),
            redis_url=f"redis://{valkey.get_container_host_ip()}:{valkey.get_exposed_port(6379)}/0",
            nats_url=f"nats://{nats.get_container_host_ip()}:{nats.get_exposed_port(4222)}",
        )
