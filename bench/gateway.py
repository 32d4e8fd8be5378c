"""`just bench gateway`: the gateway's hot paths against same-run baselines.

Scenarios (one run, same uvicorn settings: 1 worker, uvloop, httptools, no access log):
  (a) bare   - a bare Litestar GET returning {"status": "ok"}
  (b) me     - GET /api/auth/me with a JWT (gateway -> identity over gRPC -> PostgreSQL)
  (c) members- GET /api/tenant/members with an lsk_ admin key
  (d) chain  - bare Litestar handler -> grpc.aio unary -> asyncpg one-row read (none of our code)
(b) and (c) are also run against a second gateway with GATEWAY_READ_CACHE=false, to show the
uncached path: every request then reaches identity and PostgreSQL.
Load: wrk, 64 connections. Prints requests/s, p50, p99 and each ratio to (a) and to (d).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
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
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(name: str, url: str, headers: dict[str, str], duration: int, connections: int) -> Result:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url]
    for k, v in headers.items():
        args[1:1] = ["-H", f"{k}: {v}"]
    subprocess.run([*args[:-1], "-d2s", url], check=True, capture_output=True)  # warm-up
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Result(name, rps, p50, p99, errors)


def credentials(base: str, root_email: str, root_password: str) -> tuple[str, str]:
    """A fresh user's access token and a new lsk_ admin key."""
    with httpx.Client(base_url=base, timeout=30) as c:
        email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
        r = c.post(
            "/api/auth/register", json={"email": email, "password": "bench-Passw0rd", "displayName": "Bench"}
        )
        r.raise_for_status()
        jwt = r.json()["accessToken"]
        r = c.post("/api/auth/login", json={"email": root_email, "password": root_password})
        r.raise_for_status()
        root = r.json()["accessToken"]
        r = c.post(
            "/api/admin/api-keys",
            json={"name": "bench", "authority": "admin"},
            headers={"Authorization": f"Bearer {root}"},
        )
        if r.status_code != 201:
            raise RuntimeError(f"creating the bench API key: {r.status_code} {r.text}")
        return jwt, r.json()["rawKey"]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=64)
    opts = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is required: apt-get install -y wrk", file=sys.stderr)
        return 2
    (ROOT / ".data").mkdir(exist_ok=True)
    urls = stack_env()
    with throwaway_database(urls["DATABASE_URL"]) as db_url:
        return run(opts, {**urls, "DATABASE_URL": db_url})


def run(opts: argparse.Namespace, urls: dict[str, str]) -> int:
    """Start every process on ``urls`` and measure the four scenarios."""
    env = {**os.environ, **urls}
    env["SWITCHYARD_PRINCIPAL_KEY"] = secrets.token_hex(32)
    root_email, root_password = f"root-{uuid.uuid4().hex[:8]}@bench.local", secrets.token_urlsafe(16)
    env |= {"IDENTITY_ROOT_EMAIL": root_email, "IDENTITY_ROOT_PASSWORD": root_password}
    id_port, gw_port, nocache_port, grpc_port, bare_port, chain_port = (free_port() for _ in range(6))
    env |= {
        "IDENTITY_GRPC_PORT": str(id_port),
        "GATEWAY_PORT": str(gw_port),
        "GATEWAY_IDENTITY_ADDR": f"127.0.0.1:{id_port}",
        "GATEWAY_WORKERS": "1",
        "GATEWAY_AUTH_RATE_LIMIT_PER_MINUTE": "100000",
    }
    env |= {"BENCH_PG_DSN": urls["DATABASE_URL"], "BENCH_GRPC_PORT": str(grpc_port)}
    subprocess.run([PY, "-m", "switchyard.identity", "migrate"], env=env, cwd=ROOT, check=True)
    bare = [PY, str(ROOT / "bench" / "_bare.py")]
    with (
        process([PY, "-m", "switchyard.identity", "serve"], env, "identity"),
        process([PY, "-m", "switchyard.gateway"], env, "gateway"),
        process(
            [PY, "-m", "switchyard.gateway"],
            env | {"GATEWAY_PORT": str(nocache_port), "GATEWAY_READ_CACHE": "false"},
            "gateway-nocache",
        ),
        process([*bare, "grpc"], env, "grpc"),
        process([*bare, "http-bare"], env | {"BENCH_HTTP_PORT": str(bare_port)}, "bare"),
        process([*bare, "http-chain"], env | {"BENCH_HTTP_PORT": str(chain_port)}, "chain"),
    ):
        gw = f"http://127.0.0.1:{gw_port}"
        nocache = f"http://127.0.0.1:{nocache_port}"
        wait_http(f"{gw}/readyz")
        wait_http(f"{nocache}/readyz")
        for port in (grpc_port, bare_port, chain_port):
            wait_port(port)
        jwt, lsk = credentials(gw, root_email, root_password)
        d, c = opts.duration, opts.connections
        me, members = {"Authorization": f"Bearer {jwt}"}, {"Authorization": f"Bearer {lsk}"}
        results = [
            wrk("(a) bare Litestar", f"http://127.0.0.1:{bare_port}/", {}, d, c),
            wrk("(b) /api/auth/me JWT", f"{gw}/api/auth/me", me, d, c),
            wrk("(c) /api/tenant/members lsk_", f"{gw}/api/tenant/members", members, d, c),
            wrk("(d) bare chain", f"http://127.0.0.1:{chain_port}/", {}, d, c),
            wrk("(b) me, read cache off", f"{nocache}/api/auth/me", me, d, c),
            wrk("(c) members, read cache off", f"{nocache}/api/tenant/members", members, d, c),
        ]
    a, dd = results[0], results[3]
    print(f"\ngateway benchmark: {c} connections, {d}s per scenario, wrk -t1, 1 uvicorn worker each")
    print(
        f"{'scenario':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs (a)':>7} {'vs (d)':>7}"
    )
    for r in results:
        print(
            f"{r.name:34} {r.rps:9.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.errors:7d} "
            f"{r.rps / a.rps:7.1%} {r.rps / dd.rps:7.1%}"
        )
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
