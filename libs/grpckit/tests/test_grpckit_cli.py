"""``run_service``: migrate runs once and exits; serve starts, announces, and shuts down on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SCRIPT = """
import sys
from dataclasses import dataclass
from switchyard.grpckit.cli import run_service
from switchyard.grpckit.server import RunningServer, start_server

@dataclass
class Settings:
    otel_endpoint: str | None = None

@dataclass
class Service:
    running: RunningServer
    async def close(self) -> None:
        print("closed", flush=True)

async def migrate(settings: Settings) -> None:
    print("migrated", flush=True)

async def start(settings: Settings) -> Service:
    running = await start_server(name="probe", servicers=[], service_names=[], principal_key=b"k" * 32)
    return Service(running)

sys.exit(run_service(
    "probe", settings=Settings, migrate=migrate, start=start,
    on_started=lambda service: print(f"serving on {service.running.port}", flush=True),
))
"""


async def _run(script: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(script), *args, stdout=asyncio.subprocess.PIPE, env={**os.environ}
    )


async def test_migrate_then_exit(tmp_path: Path) -> None:
    script = tmp_path / "svc.py"
    script.write_text(textwrap.dedent(SCRIPT))
    process = await _run(script, "migrate")
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert (process.returncode, out.decode().split()) == (0, ["migrated"])


async def test_serve_announces_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    script = tmp_path / "svc.py"
    script.write_text(textwrap.dedent(SCRIPT))
    process = await _run(script, "serve")
    assert process.stdout is not None
    first = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    assert first.decode().startswith("serving on ")
    process.send_signal(signal.SIGTERM)
    rest, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    assert rest.decode().split() == ["closed"]
