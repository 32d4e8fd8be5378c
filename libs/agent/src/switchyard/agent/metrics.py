"""Host metrics for the heartbeat's SystemMetrics, read from /proc and os (no third-party probes)."""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
from dataclasses import dataclass
from pathlib import Path

from agent.v1 import agent_pb2

_MIB = 1024 * 1024


@dataclass
class _CpuSample:
    idle: int
    total: int
    user: int
    system: int
    iowait: int
    steal: int


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _cpu_sample() -> _CpuSample | None:
    line = _read("/proc/stat").split("\n", 1)[0]
    if not line.startswith("cpu "):
        return None
    values = [int(v) for v in line.split()[1:]]
    values += [0] * (8 - len(values))
    user, nice, system, idle, iowait, _irq, _softirq, steal = values[:8]
    return _CpuSample(idle + iowait, sum(values[:8]), user + nice, system, iowait, steal)


def meminfo() -> dict[str, int]:
    """/proc/meminfo in kB per key."""
    values: dict[str, int] = {}
    for line in _read("/proc/meminfo").splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key] = int(parts[0])
    return values


def uptime_seconds() -> int:
    """Host uptime from /proc/uptime."""
    raw = _read("/proc/uptime").split()
    return int(float(raw[0])) if raw else 0


def rss_bytes() -> int:
    """This process's resident set size (VmRSS)."""
    for line in _read("/proc/self/status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def os_info() -> str:
    """PRETTY_NAME from /etc/os-release, else the platform string."""
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.partition("=")[2].strip().strip('"')
    return platform.platform()


def _cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor()


def _network_bytes() -> tuple[int, int]:
    rx = tx = 0
    for line in _read("/proc/net/dev").splitlines()[2:]:
        name, _, rest = line.partition(":")
        fields = rest.split()
        if name.strip() == "lo" or len(fields) < 9:
            continue
        rx += int(fields[0])
        tx += int(fields[8])
    return rx, tx


def _process_count() -> int:
    try:
        return sum(1 for entry in os.scandir("/proc") if entry.name.isdigit())
    except OSError:
        return 0


def _open_fds() -> int:
    raw = _read("/proc/sys/fs/file-nr").split()
    return int(raw[0]) if raw else 0


async def docker_reachable(socket_path: Path, *, wait: float = 1.0) -> bool:
    """Whether a Docker engine answers ``GET /_ping`` on its unix socket."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(socket_path)), wait)
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(4096), wait)
        return answer.startswith(b"HTTP/1.") and b" 200 " in answer.split(b"\r\n", 1)[0] + b" "
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()


class MetricsCollector:
    """Builds SystemMetrics; CPU percentages are over the time since the previous call."""

    def __init__(self) -> None:
        """Take the first CPU sample now so the first heartbeat already has a delta."""
        self._last = _cpu_sample()

    def _cpu(self, metrics: agent_pb2.SystemMetrics) -> None:
        sample = _cpu_sample()
        last, self._last = self._last, sample
        if sample is None or last is None or sample.total <= last.total:
            return
        total = sample.total - last.total

        def pct(now: int, before: int) -> float:
            return round(100.0 * (now - before) / total, 2)

        metrics.cpu_percent = round(100.0 - pct(sample.idle, last.idle), 2)
        metrics.cpu_user_percent = pct(sample.user, last.user)
        metrics.cpu_system_percent = pct(sample.system, last.system)
        metrics.cpu_iowait_percent = pct(sample.iowait, last.iowait)
        metrics.cpu_steal_percent = pct(sample.steal, last.steal)

    def collect(self, *, disk_path: str = "/") -> agent_pb2.SystemMetrics:
        """A SystemMetrics snapshot of this host."""
        metrics = agent_pb2.SystemMetrics()
        self._cpu(metrics)
        mem = meminfo()
        metrics.memory_total_mb = mem.get("MemTotal", 0) // 1024
        metrics.memory_available_mb = mem.get("MemAvailable", 0) // 1024
        metrics.memory_used_mb = metrics.memory_total_mb - metrics.memory_available_mb
        metrics.memory_buffers_mb = mem.get("Buffers", 0) // 1024
        metrics.memory_cached_mb = mem.get("Cached", 0) // 1024
        metrics.swap_total_mb = mem.get("SwapTotal", 0) // 1024
        metrics.swap_used_mb = metrics.swap_total_mb - mem.get("SwapFree", 0) // 1024
        disk = shutil.disk_usage(disk_path)
        metrics.disk_total_mb = disk.total // _MIB
        metrics.disk_used_mb = disk.used // _MIB
        metrics.load_avg_1, metrics.load_avg_5, metrics.load_avg_15 = os.getloadavg()
        metrics.uptime_seconds = uptime_seconds()
        metrics.os_info = os_info()
        metrics.kernel_version = platform.release()
        metrics.arch = platform.machine()
        metrics.cpu_model = _cpu_model()
        metrics.cpu_cores = os.cpu_count() or 0
        metrics.machine_id = _read("/etc/machine-id").strip()
        metrics.network_rx_bytes, metrics.network_tx_bytes = _network_bytes()
        metrics.process_count = _process_count()
        metrics.open_file_descriptors = _open_fds()
        return metrics
