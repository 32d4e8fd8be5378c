"""The PushLogs path: buffer caps, batches of at most 100, app output with app/deployment ids."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import grpc
import pytest
from agent.v1 import agent_pb2
from switchyard.agent.logs import AppDirectory, LogBuffer, entry, setup_logging
from switchyard.agent.process_driver import AppState, ProcessDriver
from switchyard.agent.shipper import AppLogTailer, LogShipper
from switchyard.agent.transport import stub

pytestmark = pytest.mark.integration


def test_buffer_drops_oldest_over_its_caps_and_batches_by_count_and_bytes() -> None:
    buffer = LogBuffer(max_entries=5, max_bytes=10_000)
    for n in range(8):
        buffer.add(entry("agent", "info", f"m{n}"))
    assert len(buffer) == 5
    assert buffer.dropped == 3
    assert [e.message for e in buffer.peek(max_entries=2, max_bytes=10_000)] == ["m3", "m4"]
    big = LogBuffer()
    for _ in range(3):
        big.add(entry("agent", "info", "x" * 600_000))
    assert len(big.peek(max_entries=100, max_bytes=1024 * 1024)) == 1
    big.discard(1)
    assert len(big) == 2


async def test_shipper_sends_batches_of_100_with_server_id_and_empties_the_buffer(
    control_plane: tuple[Any, str], tmp_path: Path, config_for: Any
) -> None:
    plane, addr = control_plane
    config = config_for(tmp_path, addr)
    buffer = LogBuffer()
    for n in range(250):
        buffer.add(entry("agent", "info", f"line {n}"))
    channel = grpc.aio.insecure_channel(addr)
    shipper = LogShipper(config, stub(channel), buffer)
    sizes = []
    while len(buffer):
        before = len(plane.log_entries)
        assert await shipper.push_once()
        sizes.append(len(plane.log_entries) - before)
    await channel.close()
    assert sizes == [100, 100, 50]
    assert [e.message for e in plane.log_entries] == [f"line {n}" for n in range(250)]
    assert next(m for method, m in plane.calls if method == "PushLogs")["server-id"] == config.server_id


async def test_failed_push_keeps_entries_for_the_next_cycle(tmp_path: Path, config_for: Any) -> None:
    config = config_for(tmp_path, "127.0.0.1:1")
    buffer = LogBuffer()
    buffer.add(entry("agent", "warn", "kept"))
    channel = grpc.aio.insecure_channel(config.backend_addr)
    assert not await LogShipper(config, stub(channel), buffer).push_once()
    await channel.close()
    assert [e.message for e in buffer.peek(max_entries=10, max_bytes=10_000)] == ["kept"]


def test_app_output_is_tailed_with_app_and_deployment_ids(tmp_path: Path) -> None:
    driver = ProcessDriver(tmp_path / "apps")
    release = driver.new_release(container_name="web", image_tag="t", command=["true"], port=1)
    driver.save_release(release)
    driver.save_state("web", AppState(current=release.release_id))
    log_path = driver.output_log(release)
    log_path.write_text("before agent start\n")
    buffer, apps = LogBuffer(), AppDirectory()
    apps.update([agent_pb2.AppContainerMapping(container_name="web", app_id="app_1", deployment_id="dep_9")])
    tailer = AppLogTailer(driver, buffer, apps)
    assert tailer.poll() == 0  # what was there before the agent started is not re-shipped
    with log_path.open("a") as handle:
        handle.write("GET / 200\npartial")
    assert tailer.poll() == 1
    shipped = buffer.peek(max_entries=10, max_bytes=100_000)[0]
    assert (shipped.source, shipped.message, shipped.app_id, shipped.deployment_id) == (
        "app:web",
        "GET / 200",
        "app_1",
        "dep_9",
    )
    assert shipped.fields["container_name"] == "web"


def test_agent_log_records_reach_the_file_and_the_buffer(tmp_path: Path) -> None:
    buffer = LogBuffer()
    log_file = tmp_path / "state" / "agent.log"
    setup_logging(log_file, buffer)
    logging.getLogger("switchyard.agent.test").warning("disk almost full")
    for handler in logging.getLogger("switchyard.agent").handlers:
        handler.flush()
    assert "disk almost full" in log_file.read_text()
    shipped = buffer.peek(max_entries=10, max_bytes=100_000)
    assert [(e.source, e.level, e.message) for e in shipped] == [("agent", "warn", "disk almost full")]
    root = logging.getLogger("switchyard.agent")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.propagate = True
