"""`just bench agents`: the agents service's fleet-scale paths against a bare grpc.aio ceiling.

One identity, one agents and one gateway process, a bare grpc.aio echo server (`_bare.py grpc-echo`) and
a few fleet processes (`_fleet.py`) holding many streams over a few channels each; all numbers from one run:
  register          - the real RegisterServer RPC (CreateInstallToken + RegisterServer, 32 concurrent) on a
                      sample; the rest of the fleet is bulk-inserted with COPY (servers + agent_secrets, the
                      secret hashed with the agents' own `secret_hash`), which is how the bench gets 10k fast
  ceiling           - bare echo: unary calls/s (64 concurrent), bidi ping-pong round trip, idle bidi
                      streams held and the echo process's RSS per stream
  idle streams      - agent.v1 CommandStreams held by the ONE agents process (ramp 1k/5k/10k), counted by
                      their `agents:stream:{server}` registrations; the agents process's RSS (VmRSS),
                      RSS per stream, and its CPU while the streams sit idle
  ping              - POST /api/servers/{id}/ping through the gateway with 1,000 agents connected
                      (sequential, then 16 concurrent); the fleet ACKs and answers AGENT_PING with a
                      final frame
  fan-out           - IssueCommand (internal gRPC, signed SERVICE principal) to each of 1,000 agents,
                      R rounds, 64 concurrent; timed until every final state is stored in PostgreSQL
Targets (issue 4): >= 10,000 idle streams in one process, ping p99 < 50 ms with 1,000 agents.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import asyncpg
import grpc
import httpx
from _harness import (
    PY,
    ROOT,
    base_env,
    free_port,
    process,
    raise_nofile,
    stack_env,
    throwaway_database,
    wait_http,
    wait_port,
)
from _harness import login as harness_login
from agent.v1 import agent_pb2 as T
from redis.asyncio import Redis
from switchyard.agents.domain.agent.service import secret_hash
from switchyard.agents.v1 import agents_service_pb2 as svc
from switchyard.agents.v1 import agents_service_pb2_grpc as svc_grpc
from switchyard.grpckit.client import call_metadata
from switchyard.grpckit.config import principal_key_from_env
from switchyard.grpckit.principal import SERVICE, USER, Principal, PrincipalSigner

_IDENTITY = lambda b: b  # noqa: E731
FLEET_CHANNELS = 4  # channels (TCP connections) per fleet process


@dataclass
class Row:
    """One line of the table: a figure, its unit, optional latencies and its ceiling."""

    name: str
    value: float
    unit: str
    p50_ms: float | None = None
    p99_ms: float | None = None
    ceiling: float | None = None
    note: str = ""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    # utime and stime: fields 14 and 15 of /proc/<pid>/stat, counted after the command name.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


class FleetProcess:
    """A `_fleet.py` child: line requests on stdin, line answers on stdout."""

    def __init__(self, kind: str, address: str, name: str, env: dict[str, str]) -> None:
        log = open(ROOT / ".data" / f"bench-{name}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [PY, str(ROOT / "bench" / "_fleet.py"), kind, address, str(FLEET_CHANNELS)],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        self._log = log
        if self._ask(None) != "ready":
            raise RuntimeError(f"fleet {name} did not start (see .data/bench-{name}.log)")

    def _ask(self, line: str | None) -> str:
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None
        assert stdout is not None
        if line is not None:
            stdin.write(line + "\n")
            stdin.flush()
        return stdout.readline().strip()

    async def open(self, path: Path, start: int, end: int) -> None:
        await asyncio.to_thread(self._ask, f"open {path} {start} {end}")

    def stats(self) -> dict[str, str]:
        words = self._ask("stats").split(maxsplit=7)
        return dict(zip(words[::2], words[1::2], strict=False))

    def close(self) -> None:
        stdin: IO[str] | None = self.proc.stdin
        if stdin is not None and self.proc.poll() is None:
            stdin.write("quit\n")
            stdin.flush()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", default="1000,5000,10000", help="idle-stream ramp (cumulative)")
    parser.add_argument("--agents", type=int, default=1000, help="agents connected for ping and fan-out")
    parser.add_argument("--fleets", type=int, default=2, help="fleet client processes")
    parser.add_argument("--pings", type=int, default=150, help="sequential REST pings")
    parser.add_argument("--rounds", type=int, default=1, help="fan-out rounds (one command per agent each)")
    parser.add_argument(
        "--step-seconds", type=float, default=40.0, help="longest wait for one ramp step (5 minute budget)"
    )
    parser.add_argument("--registrations", type=int, default=100, help="real RegisterServer sample")
    opts = parser.parse_args()
    opts.ramp = [int(n) for n in opts.streams.split(",")]
    opts.nofile = raise_nofile()
    (ROOT / ".data").mkdir(exist_ok=True)
    urls = stack_env()
    with throwaway_database(urls["DATABASE_URL"]) as db_url:
        return run(opts, {**urls, "DATABASE_URL": db_url})


def run(opts: argparse.Namespace, urls: dict[str, str]) -> int:
    """Start every process on ``urls`` and measure."""
    env = base_env(urls)
    ports = {name: free_port() for name in ("identity", "agents", "agent", "gateway", "echo")}
    env |= {
        "IDENTITY_GRPC_PORT": str(ports["identity"]),
        "AGENTS_GRPC_PORT": str(ports["agents"]),
        "AGENTS_AGENT_GRPC_PORT": str(ports["agent"]),
        "GATEWAY_PORT": str(ports["gateway"]),
        "GATEWAY_IDENTITY_ADDR": f"127.0.0.1:{ports['identity']}",
        "GATEWAY_AGENTS_ADDR": f"127.0.0.1:{ports['agents']}",
        "BENCH_GRPC_PORT": str(ports["echo"]),
    }
    for service in ("identity", "agents"):
        subprocess.run(
            [PY, "-m", f"switchyard.{service}", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True
        )
    with (
        process([PY, "-m", "switchyard.identity", "serve"], env, "identity") as identity,
        process([PY, "-m", "switchyard.agents", "serve"], env, "agents") as agents,
        process([PY, "-m", "switchyard.gateway"], env, "gateway") as gateway,
        process([PY, str(ROOT / "bench" / "_bare.py"), "grpc-echo"], env, "echo") as echo,
    ):
        for name in ("identity", "agents", "agent", "echo"):
            wait_port(ports[name])
        gw = f"http://127.0.0.1:{ports['gateway']}"
        wait_http(f"{gw}/livez")
        pids = {"agents": agents.pid, "echo": echo.pid, "gateway": gateway.pid, "identity": identity.pid}
        bench = Bench(opts, env, ports, pids, gw)
        return asyncio.run(bench.measure())


class Bench:
    def __init__(
        self,
        opts: argparse.Namespace,
        env: dict[str, str],
        ports: dict[str, int],
        pids: dict[str, int],
        gw: str,
    ) -> None:
        self.opts, self.env, self.ports, self.gw = opts, env, ports, gw
        self.pids = pids
        self.agents_pid, self.echo_pid = pids["agents"], pids["echo"]
        self.signer = PrincipalSigner(
            principal_key_from_env(env["SWITCHYARD_PRINCIPAL_KEY"]), ttl_seconds=3600
        )
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.load_at_start = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        self.base_rss = 0.0
        self.echo_kb = 1.0

    # ---------------------------------------------------------------- set-up

    async def _login(self, client: httpx.AsyncClient) -> tuple[str, str]:
        login = await harness_login(
            client, self.env["IDENTITY_ROOT_EMAIL"], self.env["IDENTITY_ROOT_PASSWORD"]
        )
        root = next(m for m in login["memberships"] if m["isRoot"])
        return str(login["accessToken"]), str(root["tenantId"])

    def _metadata(self, principal: Principal) -> tuple[tuple[str, str], ...]:
        return call_metadata(self.signer.sign(principal), "")

    async def _register_rpc(self, org: str, count: int) -> Row:
        """The real enrolment path: CreateInstallToken + RegisterServer over the internal gRPC port."""
        owner = Principal(kind=USER, user_id="bench", tenant_id=org, role="owner")
        md = self._metadata(owner)
        gate = asyncio.Semaphore(32)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.ports['agents']}") as channel:
            stub = svc_grpc.AgentsServiceStub(channel)

            async def one(n: int) -> None:
                async with gate:
                    token = await stub.CreateInstallToken(svc.CreateInstallTokenRequest(), metadata=md)
                    await stub.RegisterServer(
                        svc.RegisterServerRequest(token=token.token, hostname=f"rpc-{n}", machine_id=f"m-{n}")
                    )

            t0 = time.perf_counter()
            await asyncio.gather(*(one(n) for n in range(count)))
            elapsed = time.perf_counter() - t0
        return Row(f"register: RegisterServer RPC ({count}, 32 concurrent)", count / elapsed, "servers/s")

    async def _bulk_insert(self, org: str, count: int, path: Path) -> Row:
        """Servers and agent secrets with COPY; the credentials go to ``path`` for the fleets."""
        now = datetime.now(UTC)
        creds = [(str(uuid.uuid4()), secrets.token_urlsafe(32)) for _ in range(count)]
        t0 = time.perf_counter()
        con = await asyncpg.connect(self.env["DATABASE_URL"].replace("+asyncpg", ""))
        try:
            async with con.transaction():
                await con.copy_records_to_table(
                    "servers",
                    schema_name="agents",
                    columns=[
                        "id",
                        "org_id",
                        "name",
                        "hostname",
                        "machine_id",
                        "status",
                        "agent_version",
                        "enrolled_by",
                        "created_at",
                        "enrolled_at",
                        "updated_at",
                    ],
                    records=[
                        (sid, org, f"bench-{n}", f"bench-{n}", f"m-{n}", "active", "", "bench", now, now, now)
                        for n, (sid, _) in enumerate(creds)
                    ],
                )
                await con.copy_records_to_table(
                    "agent_secrets",
                    schema_name="agents",
                    columns=["server_id", "secret_hash", "created_at"],
                    records=[(sid, secret_hash(secret), now) for sid, secret in creds],
                )
        finally:
            await con.close()
        elapsed = time.perf_counter() - t0
        text = "".join(f"{sid} {secret}\n" for sid, secret in creds)
        await asyncio.to_thread(path.write_text, text)
        self.server_ids = [sid for sid, _ in creds]
        return Row(f"register: bulk COPY ({count}, used for the fleet)", count / elapsed, "servers/s")

    # ---------------------------------------------------------------- ceiling

    async def _echo_unary(self, seconds: float = 3.0, concurrency: int = 64) -> Row:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.ports['echo']}") as channel:
            call = channel.unary_unary("/bench.Echo/Unary", _IDENTITY, _IDENTITY)
            await call(b"warm-up")
            samples: list[float] = []
            deadline = time.perf_counter() + seconds

            async def worker() -> None:
                while time.perf_counter() < deadline:
                    t0 = time.perf_counter()
                    await call(b"x" * 64)
                    samples.append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - t0
        p50, p99 = percentiles(samples)
        return Row(
            f"ceiling: bare unary echo ({concurrency} concurrent)",
            len(samples) / elapsed,
            "calls/s",
            p50,
            p99,
        )

    async def _echo_pingpong(self, count: int) -> Row:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.ports['echo']}") as channel:
            call = channel.stream_stream("/bench.Echo/Stream", _IDENTITY, _IDENTITY)()
            samples = []
            for _ in range(count):
                t0 = time.perf_counter()
                await call.write(b"x" * 64)
                await call.read()
                samples.append(time.perf_counter() - t0)
            await call.done_writing()
        p50, p99 = percentiles(samples)
        return Row(
            "ceiling: bare bidi ping-pong (sequential)", count / sum(samples), "round trips/s", p50, p99
        )

    async def _echo_count(self) -> int:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.ports['echo']}") as channel:
            return int(await channel.unary_unary("/bench.Echo/Count", _IDENTITY, _IDENTITY)(b""))

    async def _echo_streams(self, creds: Path, target: int) -> tuple[int, float]:
        """Idle bidi streams on the bare echo server: how many it held and its RSS per stream (KB)."""
        base = rss_mb(self.echo_pid)
        fleets = self._fleets("bare", self.ports["echo"], "echo")
        try:
            await self._spread(fleets, creds, 0, target)
            held = await self._settle(self._echo_count, target)
            per_stream = (rss_mb(self.echo_pid) - base) * 1024 / max(held, 1)
        finally:
            for fleet in fleets:
                fleet.close()
        return held, per_stream

    # ---------------------------------------------------------------- fleets

    def _fleets(self, kind: str, port: int, name: str) -> list[FleetProcess]:
        return [
            FleetProcess(kind, f"127.0.0.1:{port}", f"fleet-{name}-{n}", self.env)
            for n in range(self.opts.fleets)
        ]

    async def _spread(self, fleets: list[FleetProcess], creds: Path, start: int, end: int) -> None:
        """Open streams start..end-1, split evenly over the fleets."""
        size = -(-(end - start) // len(fleets))
        await asyncio.gather(
            *(
                fleet.open(creds, start + n * size, min(end, start + (n + 1) * size))
                for n, fleet in enumerate(fleets)
                if start + n * size < end
            )
        )

    async def _settle(self, count: object, target: int, stall: float = 15.0, most: float = 40.0) -> int:
        """Poll ``count()`` until it reaches ``target``, stops growing for ``stall`` seconds or ``most``
        seconds passed (the bench must end within 5 minutes; the row then shows what was held)."""
        best, since = -1, time.monotonic()
        deadline = since + most
        while time.monotonic() < deadline:
            try:
                held = await count()  # type: ignore[operator]
            except grpc.aio.AioRpcError:
                held = 0  # the echo server refused the probe while a burst of streams arrived
            if held >= target:
                return int(held)
            if held > best:
                best, since = held, time.monotonic()
            elif time.monotonic() - since > stall:
                return int(held)
            await asyncio.sleep(0.25)
        return int(held)

    async def _held(self, redis: Redis) -> int:
        """Streams registered by the agents process (``agents:stream:{server}``) among the bench's servers."""
        held = 0
        for n in range(0, len(self.server_ids), 2000):
            keys = [f"agents:stream:{sid}" for sid in self.server_ids[n : n + 2000]]
            held += sum(v is not None for v in await redis.mget(keys))
        return held

    # ---------------------------------------------------------------- agents

    async def _pings(
        self, client: httpx.AsyncClient, headers: dict[str, str], count: int, concurrency: int
    ) -> Row:
        targets = self.server_ids[: self.opts.agents]
        samples: list[float] = []
        rtts: list[float] = []
        errors = 0
        queue = list(range(count))

        async def worker() -> None:
            nonlocal errors
            while queue:
                n = queue.pop()
                t0 = time.perf_counter()
                response = await client.post(
                    f"/api/servers/{targets[n % len(targets)]}/ping", headers=headers
                )
                samples.append(time.perf_counter() - t0)
                if response.status_code == 200:
                    rtts.append(float(response.json()["rttMs"]) / 1000)
                else:
                    errors += 1
                    self.notes.append(f"ping {response.status_code}: {response.text[:120]}")

        names = ("agents", "gateway", "identity")
        cpu0 = {name: cpu_seconds(self.pids[name]) for name in names}
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
        cpu = {name: (cpu_seconds(self.pids[name]) - cpu0[name]) * 1000 / count for name in names}
        p50, p99 = percentiles(samples)
        how = "sequential" if concurrency == 1 else f"{concurrency} concurrent"
        in_agents = percentiles(rtts) if rtts else (0.0, 0.0)
        note = f"rttMs inside agents p50 {in_agents[0]:.1f} p99 {in_agents[1]:.1f}"
        note += "; CPU ms/ping " + ", ".join(f"{name} {ms:.1f}" for name, ms in cpu.items())
        note += f"; {errors} errors" if errors else ""
        return Row(
            f"ping via REST, {len(targets)} agents ({how})", count / elapsed, "pings/s", p50, p99, note=note
        )

    async def _fan_out(self, org: str, pool: asyncpg.Pool) -> Row:
        targets = self.server_ids[: self.opts.agents]
        md = self._metadata(Principal(kind=SERVICE, tenant_id=org, user_id="bench"))
        total = len(targets) * self.opts.rounds
        gate = asyncio.Semaphore(64)
        before = await pool.fetchval("SELECT count(*) FROM agents.commands WHERE finished_at IS NOT NULL")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.ports['agents']}") as channel:
            stub = svc_grpc.AgentsServiceStub(channel)

            async def one(server_id: str) -> None:
                async with gate:
                    await stub.IssueCommand(
                        svc.IssueCommandRequest(server_id=server_id, type=T.COMMAND_TYPE_AGENT_PING),
                        metadata=md,
                    )

            t0 = time.perf_counter()
            await asyncio.gather(*(one(sid) for _ in range(self.opts.rounds) for sid in targets))
            issued = time.perf_counter() - t0
            done = 0
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                done = (
                    await pool.fetchval("SELECT count(*) FROM agents.commands WHERE finished_at IS NOT NULL")
                    - before
                )
                if done >= total:
                    break
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - t0
        note = f"issued in {issued:.1f}s; {done}/{total} final"
        return Row(
            f"fan-out: IssueCommand -> final stored, {len(targets)} agents",
            done / elapsed,
            "commands/s",
            note=note,
        )

    async def _idle(self, redis: Redis, streams: int, seconds: float = 5.0) -> None:
        """CPU of the agents process and Redis commands/s while ``streams`` streams sit idle."""
        before = (await redis.info("stats"))["total_commands_processed"]
        c0, t0 = cpu_seconds(self.agents_pid), time.monotonic()
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - t0
        cpu = (cpu_seconds(self.agents_pid) - c0) / elapsed * 100
        ops = ((await redis.info("stats"))["total_commands_processed"] - before) / elapsed
        clients = (await redis.info("clients"))["connected_clients"]
        self.notes.append(
            f"idle with {streams} streams ({seconds:.0f} s): agents process {cpu:.1f}% CPU, Redis {ops:.0f}"
            f" commands/s, {open_fds(self.agents_pid)} fds in agents, Redis connected_clients {clients}"
        )

    async def _ramp_step(self, fleets: list[FleetProcess], redis: Redis, step: int) -> int:
        """Wait for ``step`` registrations; one table row with RSS and RSS per stream."""
        t0 = time.perf_counter()
        held = await self._settle(lambda: self._held(redis), step, most=self.opts.step_seconds)
        rss = rss_mb(self.agents_pid)
        per = (rss - self.base_rss) * 1024 / max(held, 1)
        note = f"RSS {rss:.0f} MB ({self.base_rss:.0f} before), {per:.1f} KB/stream"
        note += f" ({per / self.echo_kb:.1f}x bare); settled in {time.perf_counter() - t0:.1f}s"
        self.rows.append(
            Row(f"idle agent streams held, {step} opened", held, "streams", ceiling=step, note=note)
        )
        if held < step:
            self.notes.append(f"at {step}: held {held}; fleets say {[f.stats() for f in fleets]}")
        return held

    async def _ceiling(self, creds: Path, top: int) -> tuple[Row, Row]:
        unary = await self._echo_unary()
        pingpong = await self._echo_pingpong(1000)
        echo_held, self.echo_kb = await self._echo_streams(creds, top)
        note = f"{self.echo_kb:.1f} KB RSS/stream"
        self.rows += [
            unary,
            pingpong,
            Row(f"ceiling: bare idle bidi streams, {top} opened", echo_held, "streams", note=note),
        ]
        return unary, pingpong

    async def measure(self) -> int:
        """Register the fleet, measure the ceiling, then ramp the agent streams with ping and fan-out at
        ``--agents``; print the table."""
        opts = self.opts
        top = max(opts.ramp)
        redis = Redis.from_url(self.env["REDIS_URL"])
        pool = await asyncpg.create_pool(
            self.env["DATABASE_URL"].replace("+asyncpg", ""), min_size=1, max_size=2
        )
        with tempfile.TemporaryDirectory() as tmp:
            creds = Path(tmp) / "creds.txt"
            async with httpx.AsyncClient(base_url=self.gw, timeout=60) as client:
                jwt, org = await self._login(client)
                headers = {"Authorization": f"Bearer {jwt}", "X-Tenant-ID": org}
                self.rows.append(await self._register_rpc(org, opts.registrations))
                self.rows.append(await self._bulk_insert(org, top, creds))
                unary, pingpong = await self._ceiling(creds, top)
                fleets = self._fleets("agents", self.ports["agent"], "agents")
                try:
                    self.base_rss = rss_mb(self.agents_pid)
                    opened = 0
                    for step in sorted({opts.agents, *opts.ramp}):
                        await self._spread(fleets, creds, opened, step)
                        opened = step
                        await self._ramp_step(fleets, redis, step)
                        if step == opts.agents:
                            self.rows.append(await self._pings(client, headers, opts.pings, 1))
                            self.rows[-1].ceiling = pingpong.value
                            self.rows.append(await self._pings(client, headers, opts.pings, 16))
                            self.rows.append(await self._fan_out(org, pool))
                            self.rows[-1].ceiling = unary.value
                    await self._idle(redis, opened)
                    self.notes.append(f"fleets: {[f.stats() for f in fleets]}")
                finally:
                    for fleet in fleets:
                        fleet.close()
        await pool.close()
        await redis.aclose()
        self.print_table()
        return 0

    def print_table(self) -> None:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        print(
            f"\nagents benchmark: {os.cpu_count()} CPUs, load average {self.load_at_start} at start,"
            f" {load} at the end; 1 agents process, {self.opts.fleets} fleet processes x {FLEET_CHANNELS}"
            f" channels, RLIMIT_NOFILE {self.opts.nofile}."
            "\nvs ceil = value / ceiling (rates: the bare echo's; streams: how many were opened)"
        )
        print(f"{'figure':58} {'value':>10} {'unit':13} {'p50 ms':>7} {'p99 ms':>7} {'vs ceil':>8}  notes")
        for r in self.rows:
            p50 = f"{r.p50_ms:7.2f}" if r.p50_ms is not None else f"{'':7}"
            p99 = f"{r.p99_ms:7.2f}" if r.p99_ms is not None else f"{'':7}"
            ratio = f"{r.value / r.ceiling:8.1%}" if r.ceiling else f"{'':8}"
            print(f"{r.name:58} {r.value:10.0f} {r.unit:13} {p50} {p99} {ratio}  {r.note}")
        for note in self.notes:
            print(f"  - {note}")


if __name__ == "__main__":
    sys.exit(main())
