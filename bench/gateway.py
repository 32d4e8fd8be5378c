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
import shutil
import subprocess
import sys
import uuid

import httpx
from _harness import (
    PY,
    ROOT,
    base_env,
    free_port,
    print_table,
    process,
    stack_env,
    throwaway_database,
    wait_http,
    wait_port,
    wrk,
)


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
    env = base_env(urls)
    root_email, root_password = env["IDENTITY_ROOT_EMAIL"], env["IDENTITY_ROOT_PASSWORD"]
    id_port, gw_port, nocache_port, grpc_port, bare_port, chain_port = (free_port() for _ in range(6))
    env |= {
        "IDENTITY_GRPC_PORT": str(id_port),
        "GATEWAY_PORT": str(gw_port),
        "GATEWAY_IDENTITY_ADDR": f"127.0.0.1:{id_port}",
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
        # /readyz needs every service of the stack; the bench runs only identity behind the gateway.
        wait_port(id_port)
        wait_http(f"{gw}/livez")
        wait_http(f"{nocache}/livez")
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
    title = f"gateway benchmark: {c} connections, {d}s per scenario, wrk -t1, 1 uvicorn worker each"
    print_table(title, results, {"(a)": results[0], "(d)": results[3]})
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
