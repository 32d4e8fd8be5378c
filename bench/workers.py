"""`just bench workers`: the agent-fleet hot paths against a same-run baseline.

One gateway and one replica of identity, workers and mutations, each a separate process; all numbers
from one run:
  heartbeats, nothing pending  - wrk cycles POST /api/workers/{id}/heartbeat over N registered daemons
  heartbeats, 10% pending      - the same after a mutation was enqueued for every tenth host (never
                                 ACKed here, so those hosts get it re-sent on every beat)
  baseline                     - Litestar POST -> grpc.aio unary -> one Redis SET (none of our code)
  poll                         - GET /api/workers/{id}/poll latency with a queue of Q items, each poll
                                 pre-claiming 5 (NACKed back, untimed, so the queue stays at Q)
  enqueue -> delivered         - a daemon beating every 20 ms; time from enqueue to the beat carrying it
Targets (issue 3): heartbeats >= 1,500/s with p99 < 50 ms, and >= 60% of the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _harness import (
    PY,
    ROOT,
    Result,
    base_env,
    free_port,
    print_table,
    process,
    stack_env,
    throwaway_database,
    wait_http,
    wait_port,
    wrk_script,
)
from _harness import login as harness_login

SERVICES = ("identity", "workers", "mutations")
BEAT_BODY = '{"status":"idle","activeCount":0,"maxSessions":4,"allowlistHash":"bench"}'


def lua_cycle(entries: list[tuple[str, dict[str, str]]], body: str) -> str:
    """A wrk script that POSTs ``body`` to each (path, headers) in turn."""
    rows = ",\n".join(
        "{" + f'"{path}", {{' + ", ".join(f'["{k}"]="{v}"' for k, v in headers.items()) + "}}"
        for path, headers in entries
    )
    return f"""
local targets = {{
{rows}
}}
local n = #targets
local i = 0
local body = '{body}'
request = function()
  i = i % n + 1
  local t = targets[i]
  t[2]["Content-Type"] = "application/json"
  return wrk.format("POST", t[1], t[2], body)
end
"""


async def _org_key(client: httpx.AsyncClient, email: str, password: str) -> str:
    login = await harness_login(client, email, password)
    root = next(m for m in login["memberships"] if m["isRoot"])
    created = await client.post(
        f"/api/org/{root['tenantId']}/keys",
        json={"name": "bench", "projects": "all", "scopes": ["*"]},
        headers={"Authorization": f"Bearer {login['accessToken']}"},
    )
    created.raise_for_status()
    return str(created.json()["key"]["fullKey"])


async def _register(client: httpx.AsyncClient, key: str, count: int) -> list[tuple[str, str]]:
    gate = asyncio.Semaphore(32)

    async def one(n: int) -> tuple[str, str]:
        async with gate:
            r = await client.post(
                "/api/workers/register",
                json={"hostname": f"bench-{n}", "capacity": 1000, "version": "bench"},
                headers={"Authorization": f"Bearer {key}"},
            )
            r.raise_for_status()
            body = r.json()
            return str(body["workerId"]), str(body["runtimeToken"])

    return list(await asyncio.gather(*(one(n) for n in range(count))))


async def _enqueue(client: httpx.AsyncClient, key: str, host: str, n: int) -> str:
    r = await client.post(
        "/api/daemon/mutations",
        json={"workerHostId": host, "op": "project.add", "params": {"id": f"p{n}", "repository": f"r/{n}"}},
        headers={"Authorization": f"Bearer {key}"},
    )
    r.raise_for_status()
    return str(r.json()["mutation"]["id"])


async def _queue_sessions(client: httpx.AsyncClient, key: str, count: int) -> None:
    gate = asyncio.Semaphore(32)

    async def one(n: int) -> None:
        async with gate:
            r = await client.post(
                "/api/sessions",
                json={"issueId": f"bench-{n}", "issueIdentifier": f"B-{n}", "priority": 1 + n % 5},
                headers={"Authorization": f"Bearer {key}"},
            )
            r.raise_for_status()

    await asyncio.gather(*(one(n) for n in range(count)))


def _latencies(name: str, samples: list[float]) -> Result:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    rps = len(samples) / sum(samples) if samples else 0.0
    return Result(name, rps, statistics.median(ordered) * 1000, p99 * 1000, 0)


async def _poll_latency(client: httpx.AsyncClient, worker: tuple[str, str], polls: int) -> Result:
    """Timed polls that each pre-claim 5 items; between polls (untimed) the worker NACKs what it got, so the
    queue stays at its full size and the worker never fills up (a daemon holds a handful of sessions)."""
    worker_id, token = worker
    headers = {"Authorization": f"Bearer {token}"}
    samples = []
    for _ in range(polls):
        t0 = time.perf_counter()
        r = await client.get(f"/api/workers/{worker_id}/poll", headers=headers)
        samples.append(time.perf_counter() - t0)
        r.raise_for_status()
        work = r.json()["work"]
        if len(work) != 5:
            raise RuntimeError(f"a poll pre-claimed {len(work)} items, expected 5")
        for item in work:
            nack = await client.post(
                f"/api/sessions/{item['sessionId']}/nack",
                json={"workerId": worker_id, "reason": "bench", "work": item},
                headers=headers,
            )
            nack.raise_for_status()
    return _latencies("poll, 5 pre-claimed per call (sequential)", samples)


async def _delivery_latency(
    client: httpx.AsyncClient, key: str, worker: tuple[str, str], count: int
) -> Result:
    worker_id, token = worker
    headers = {"Authorization": f"Bearer {token}"}
    samples: list[float] = []
    acked: list[str] = []
    for n in range(count):
        t0 = time.perf_counter()
        mutation_id = await _enqueue(client, key, worker_id, 10_000 + n)
        while True:
            body = {"status": "idle", "activeCount": 0, "maxSessions": 4, "appliedMutations": acked}
            beat = (
                await client.post(f"/api/workers/{worker_id}/heartbeat", json=body, headers=headers)
            ).json()
            acked = [m["id"] for m in beat.get("pendingMutations") or []]
            if mutation_id in acked:
                samples.append(time.perf_counter() - t0)
                break
            await asyncio.sleep(0.02)
    return _latencies("enqueue -> delivered (beat every 20 ms)", samples)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk scenario")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--daemons", type=int, default=2000)
    parser.add_argument("--queue", type=int, default=10_000, help="queued sessions for the poll scenario")
    parser.add_argument("--polls", type=int, default=500)
    parser.add_argument("--deliveries", type=int, default=100)
    opts = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is required: apt-get install -y wrk", file=sys.stderr)
        return 2
    urls = stack_env()
    with throwaway_database(urls["DATABASE_URL"]) as db_url:
        return run(opts, {**urls, "DATABASE_URL": db_url})


def run(opts: argparse.Namespace, urls: dict[str, str]) -> int:
    """Start every process on ``urls`` and measure."""
    env = base_env(urls)
    ports = {name: free_port() for name in (*SERVICES, "gateway", "grpc", "baseline")}
    env |= {
        "IDENTITY_GRPC_PORT": str(ports["identity"]),
        "WORKERS_GRPC_PORT": str(ports["workers"]),
        "MUTATIONS_GRPC_PORT": str(ports["mutations"]),
        "MUTATIONS_WORKERS_ADDR": f"127.0.0.1:{ports['workers']}",
        "GATEWAY_PORT": str(ports["gateway"]),
        "GATEWAY_IDENTITY_ADDR": f"127.0.0.1:{ports['identity']}",
        "GATEWAY_WORKERS_ADDR": f"127.0.0.1:{ports['workers']}",
        "GATEWAY_MUTATIONS_ADDR": f"127.0.0.1:{ports['mutations']}",
        "BENCH_REDIS_URL": urls["REDIS_URL"],
        "BENCH_GRPC_PORT": str(ports["grpc"]),
        "BENCH_HTTP_PORT": str(ports["baseline"]),
    }
    for service in SERVICES:
        subprocess.run([PY, "-m", f"switchyard.{service}", "migrate"], env=env, cwd=ROOT, check=True)
    bare = [PY, str(ROOT / "bench" / "_bare.py")]
    with (
        process([PY, "-m", "switchyard.identity", "serve"], env, "identity"),
        process([PY, "-m", "switchyard.workers", "serve"], env, "workers"),
        process([PY, "-m", "switchyard.mutations", "serve"], env, "mutations"),
        process([PY, "-m", "switchyard.gateway"], env, "gateway"),
        process([*bare, "grpc-redis"], env, "grpc-redis"),
        process([*bare, "http-redis-chain"], env, "redis-chain"),
    ):
        gw = f"http://127.0.0.1:{ports['gateway']}"
        # /readyz needs every service of the stack; the bench runs only the ones it measures.
        for service in SERVICES:
            wait_port(ports[service])
        wait_http(f"{gw}/livez")
        wait_port(ports["grpc"])
        wait_port(ports["baseline"])
        return asyncio.run(measure(opts, gw, f"http://127.0.0.1:{ports['baseline']}", env))


async def measure(opts: argparse.Namespace, gw: str, baseline: str, env: dict[str, str]) -> int:
    """Register the fleet, then run every scenario and print the table."""
    d, c = opts.duration, opts.connections
    async with httpx.AsyncClient(base_url=gw, timeout=60) as client:
        key = await _org_key(client, env["IDENTITY_ROOT_EMAIL"], env["IDENTITY_ROOT_PASSWORD"])
        fleet = await _register(client, key, opts.daemons)
        beats = [(f"/api/workers/{w}/heartbeat", {"Authorization": f"Bearer {t}"}) for w, t in fleet]
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "beats.lua"
            script.write_text(lua_cycle(beats, BEAT_BODY))
            base_script = Path(tmp) / "baseline.lua"
            base_script.write_text(lua_cycle([(f"/{w}", {"X-Bench": "1"}) for w, _ in fleet], BEAT_BODY))
            results = [
                wrk_script("baseline: Litestar -> grpc.aio -> Redis SET", baseline, base_script, d, c),
                wrk_script(f"heartbeats, {len(fleet)} daemons, nothing pending", gw, script, d, c),
            ]
            for n, (worker_id, _) in enumerate(fleet[::10]):
                await _enqueue(client, key, worker_id, n)
            results.append(wrk_script(f"heartbeats, {len(fleet)} daemons, 10% pending", gw, script, d, c))
        await _queue_sessions(client, key, opts.queue)
        pollers = await _register(client, key, 2)
        results.append(await _poll_latency(client, pollers[0], opts.polls))
        results.append(await _delivery_latency(client, key, pollers[1], opts.deliveries))
    title = (
        f"workers benchmark: {c} connections, {d}s per wrk scenario, 1 process per server; "
        f"poll with {opts.queue} queued; latency rows are sequential (req/s = 1/mean)"
    )
    print_table(title, results, {"baseline": results[0]})
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
