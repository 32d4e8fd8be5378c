"""Tracing: spans reach an OTLP/HTTP endpoint when one is configured; nothing happens otherwise."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from switchyard.obs import setup_tracing


class Collector(BaseHTTPRequestHandler):
    """Records each POST as (path, body) on ``server.received``."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def collector() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


SCRIPT = """
import sys
from opentelemetry import trace
from switchyard.obs import setup_tracing, shutdown_tracing

setup_tracing("obs-probe", endpoint=sys.argv[1])
with trace.get_tracer("probe").start_as_current_span("probe-span"):
    pass
shutdown_tracing()
"""


@pytest.mark.integration
async def test_spans_are_exported_over_otlp_http(collector: ThreadingHTTPServer, tmp_path: Path) -> None:
    script = tmp_path / "trace_probe.py"
    script.write_text(textwrap.dedent(SCRIPT))
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}/"
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), endpoint, env={**os.environ}, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    received = collector.received  # type: ignore[attr-defined]
    assert [path for path, _ in received] == ["/v1/traces"]
    body = received[0][1]
    assert b"probe-span" in body
    assert b"obs-probe" in body


@pytest.mark.unit
def test_no_endpoint_leaves_tracing_off() -> None:
    setup_tracing("obs-probe", endpoint=None)
    setup_tracing("obs-probe", endpoint="")
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)
