"""Shared plumbing of the benchmarks: servers as processes, a throwaway database, wrk runs and tables."""

from __future__ import annotations

import asyncio
import os
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stack_env() -> dict[str, str]:
    """The URLs of the configured servers, or of the embedded stack (started if needed)."""
    keys = ("DATABASE_URL", "REDIS_URL", "NATS_URL")
    if all(os.environ.get(k) for k in keys):
        return {k: os.environ[k] for k in keys}
    subprocess.run(
        [PY, "-m", "switchyard.stack", "up-servers"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    out = subprocess.run(
        [PY, "-m", "switchyard.stack", "env"], check=True, cwd=ROOT, capture_output=True, text=True
    )
    env = dict(re.findall(r"^(?:export\s+)?(\w+)=['\"]?([^'\"\n]+)['\"]?$", out.stdout, re.M))
    return {k: env[k] for k in keys}


@contextmanager
def throwaway_database(url: str) -> Iterator[str]:
    """A fresh database on the same server, so identity bootstraps the bench's own root owner."""
    import asyncio

    import asyncpg

    name = f"sy_bench_{uuid.uuid4().hex[:10]}"
    admin = url.replace("+asyncpg", "")

    async def run(sql: str) -> None:
        con = await asyncpg.connect(admin)
        try:
            await con.execute(sql)
        finally:
            await con.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield urlsplit(admin)._replace(path=f"/{name}").geturl()
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def process(args: list[str], env: dict[str, str], name: str) -> Iterator[subprocess.Popen[bytes]]:
    log = open(ROOT / ".data" / f"bench-{name}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


async def login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    """POST /api/auth/login, retried briefly: the gateway answers before its upstream channels settle."""
    for _ in range(60):
        response = await client.post("/api/auth/login", json={"email": email, "password": password})
        if response.status_code == 200:
            break
        await asyncio.sleep(0.5)
    response.raise_for_status()
    return dict(response.json())


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout}s")


def wait_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"port {port} did not open in {timeout}s")


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(text: str) -> float:
    # wrk picks the unit: "us", "ms", "s", and "m" once a latency passes a minute.
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if found is None:
        raise ValueError(f"wrk latency {text!r} not understood")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(
    name: str,
    url: str,
    headers: dict[str, str],
    duration: int,
    connections: int,
    *,
    script: Path | None = None,
) -> Result:
    """Run wrk (one thread, ``connections`` connections) after a 2 s warm-up and parse its report."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if script is not None:
        args[1:1] = ["-s", str(script)]
    for k, v in headers.items():
        args[1:1] = ["-H", f"{k}: {v}"]
    subprocess.run([*args[:-1], "-d2s", url], check=True, capture_output=True)  # warm-up
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return parse_wrk(name, out)


def parse_wrk(name: str, out: str) -> Result:
    """A wrk ``--latency`` report as a Result (errors: non-2xx/3xx plus socket errors)."""
    try:
        return _parse_wrk(name, out)
    except (AttributeError, ValueError) as exc:
        raise RuntimeError(f"{name}: wrk report not understood ({exc}):\n{out}") from exc


def _parse_wrk(name: str, out: str) -> Result:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Result(name, rps, p50, p99, errors)


def raise_nofile() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (children inherit it); returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def wrk_script(name: str, url: str, script: Path, duration: int, connections: int) -> Result:
    """Like ``wrk`` but the requests come from a Lua script (several paths, methods or bodies)."""
    return wrk(name, url, {}, duration, connections, script=script)


def base_env(urls: dict[str, str]) -> dict[str, str]:
    """Environment of every process in a bench run: the servers, a fresh key, a known root owner."""
    env = {**os.environ, **urls}
    env["SWITCHYARD_PRINCIPAL_KEY"] = secrets.token_hex(32)
    env["IDENTITY_ROOT_EMAIL"] = f"root-{uuid.uuid4().hex[:8]}@bench.local"
    env["IDENTITY_ROOT_PASSWORD"] = secrets.token_urlsafe(16)
    env["GATEWAY_WORKERS"] = "1"
    env["GATEWAY_AUTH_RATE_LIMIT_PER_MINUTE"] = "1000000"
    return env


def print_table(title: str, results: list[Result], baselines: dict[str, Result]) -> None:
    """Requests/s, p50, p99, errors and each result's ratio to every baseline."""
    print(f"\n{title}")
    ratio_heads = "".join(f" {'vs ' + name:>9}" for name in baselines)
    print(f"{'scenario':40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}{ratio_heads}")
    for r in results:
        ratios = "".join(f" {r.rps / base.rps:9.1%}" for base in baselines.values())
        print(f"{r.name:40} {r.rps:9.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.errors:7d}{ratios}")
