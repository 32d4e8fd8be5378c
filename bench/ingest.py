"""`just bench ingest`: the ingest doors and the Sentry pipeline against a same-run JetStream ceiling.

One gateway and one ingest replica (separate processes, the embedded stack), one run in two phases:
the door rows (and their ceilings) with the replica serving its API but its consumers off
(INGEST_CONSUME=false), so on a 2-core machine the gateway has the CPU the ceiling has; then the same
replica restarted with its consumers on for the end-to-end row, which is the door under full pipeline
load:
  sentry envelope   - wrk POSTs a real sentry-sdk envelope (one error event, a fresh event id per request)
                      to /api/{projectId}/envelope/, cycling over --keys DSNs
  events persisted  - --events envelopes sent as fast as the door takes them; the time from the first
                      send until the last row is visible in ingest.error_events
  otlp spans        - POST /v1/traces, protobuf ExportTraceServiceRequest of --spans spans
  posthog events    - POST /batch/ {api_key, batch: [--batch events]}
  ceiling           - a bare Litestar POST publishing the raw body to JetStream and awaiting the ack
                      (bench/_bare.py http-jetstream), same wrk script and bodies; each door row is compared
Targets (issue 5): Sentry envelopes >= 2,000/s with p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import httpx
import nats
from _harness import (
    PY,
    ROOT,
    Result,
    base_env,
    free_port,
    parse_wrk,
    process,
    raise_nofile,
    stack_env,
    throwaway_database,
    wait_http,
    wait_port,
    wrk_script,
)

ID_MARK = "e1d0" * 8  # stands for the event id in the envelope; the wrk script swaps in a fresh one
SENTRY_AUTH = "Sentry sentry_version=7, sentry_client=sentry.python/2.75.0"
SERVICE_DURABLES = ("SENTRY", "OTLP", "AGENT_LOGS", "ANALYTICS", "METRICS")


@dataclass
class Target:
    """One wrk target: a path, its headers and the body file it sends."""

    path: str
    headers: dict[str, str]
    body: Path


@dataclass
class Row:
    """A table row: requests/s and items/s, latency, errors, and the ceiling it is compared to."""

    result: Result
    items_per_request: int
    ceiling: Result | None = None
    note: str = ""
    cpu_us: float = math.nan


def lua_script(targets: list[Target], *, fresh_ids: bool, limit: int = 0) -> str:
    """A wrk script cycling over ``targets``; ``fresh_ids`` puts a new event id in every body; ``limit``
    stops the (single) thread after that many responses."""
    rows = ",\n".join(
        "{"
        + f'"{t.path}", {{'
        + ", ".join(f'["{k}"]="{v}"' for k, v in t.headers.items())
        + f'}}, "{t.body}"'
        + "}"
        for t in targets
    )
    return f"""
local targets = {{
{rows}
}}
local n = #targets
local i = 0
local bodies, ready = {{}}, {{}}
for k, t in ipairs(targets) do
  local f = assert(io.open(t[3], "rb"))
  bodies[k] = f:read("*a")
  f:close()
  ready[k] = wrk.format("POST", t[1], t[2], bodies[k])
end
local fresh = {"true" if fresh_ids else "false"}
local limit = {limit}
local seen = 0
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  i = i % n + 1
  if not fresh then return ready[i] end
  local id = string.format("%08x%08x%08x%08x", math.random(0, 2147483647), math.random(0, 2147483647),
    math.random(0, 2147483647), math.random(0, 2147483647))
  local body = bodies[i]:gsub("{ID_MARK}", id)
  return wrk.format("POST", targets[i][1], targets[i][2], body)
end
if limit > 0 then
  response = function(status, headers, body)
    seen = seen + 1
    if seen >= limit then wrk.thread:stop() end
  end
end
"""


def sentry_envelope() -> bytes:
    """An envelope with one error event, as sentry-sdk builds it (captured from its transport)."""
    import sentry_sdk
    from sentry_sdk.envelope import Envelope
    from sentry_sdk.transport import Transport

    captured: list[Envelope] = []

    class Capture(Transport):
        def capture_envelope(self, envelope: Envelope) -> None:
            captured.append(envelope)

    sentry_sdk.init(
        dsn="http://0123456789abcdef0123456789abcdef@127.0.0.1/1",
        transport=Capture,
        release="shop@1.4.2",
        environment="production",
        server_name="web-1",
    )

    def load_order(order_id: int, lines: list[dict[str, Any]]) -> float:
        sentry_sdk.set_tag("order.channel", "web")
        sentry_sdk.set_user({"id": "u-1842"})
        return float(sum(line["price"] * line["qty"] for line in lines)) / len(lines[order_id:])

    try:
        load_order(3, [{"price": 9.5, "qty": 2}, {"price": 4.0, "qty": 1}])
    except ZeroDivisionError:
        sentry_sdk.capture_exception()
    sentry_sdk.flush()
    sentry_sdk.get_client().close()
    envelope = next(e for e in captured if any(i.type == "event" for i in e.items))
    event_id = str(envelope.headers["event_id"])
    return envelope.serialize().replace(event_id.encode(), ID_MARK.encode())


def otlp_traces(spans: int) -> bytes:
    """A protobuf ExportTraceServiceRequest: one service, one trace of ``spans`` server/DB spans."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    def attr(key: str, value: str | int) -> KeyValue:
        any_value = AnyValue(int_value=value) if isinstance(value, int) else AnyValue(string_value=value)
        return KeyValue(key=key, value=any_value)

    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(
        [attr("service.name", "checkout"), attr("service.version", "1.4.2"), attr("host.name", "web-1")]
    )
    scope = resource_spans.scope_spans.add()
    scope.scope.name = "opentelemetry.instrumentation.asgi"
    trace_id, start = uuid.uuid4().bytes, time.time_ns()
    for n in range(spans):
        span = scope.spans.add()
        span.trace_id, span.span_id = trace_id, uuid.uuid4().bytes[:8]
        span.name = "GET /api/orders/{id}" if n == 0 else "SELECT shop.orders"
        span.kind = Span.SPAN_KIND_SERVER if n == 0 else Span.SPAN_KIND_CLIENT
        span.start_time_unix_nano = start + n * 1_000_000
        span.end_time_unix_nano = span.start_time_unix_nano + 800_000
        span.attributes.extend([attr("http.request.method", "GET"), attr("db.system", "postgresql")])
        span.status.code = 1
    return request.SerializeToString()


def posthog_batch(public_key: str, events: int) -> bytes:
    """A posthog-python style ``/batch/`` body of ``events`` events."""
    now = time.time()
    batch = [
        {
            "event": "$pageview" if n % 2 else "checkout_started",
            "distinct_id": f"user-{n % 37}",
            "uuid": str(uuid.uuid4()),
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - n)),
            "properties": {
                "$current_url": f"https://shop.example.com/products/{n}",
                "$lib": "posthog-python",
                "$lib_version": "3.7.0",
                "plan": "pro",
                "cart_value": 12.5 + n,
            },
        }
        for n in range(events)
    ]
    return json.dumps({"api_key": public_key, "batch": batch}).encode()


async def create_dsns(addr: str, principal_key: bytes, org_id: str, count: int) -> list[tuple[str, int]]:
    """``count`` DSNs of one org, as (public key, project id), over ingest's gRPC as the org's service."""
    from switchyard.grpckit.principal import METADATA_KEY, SERVICE, Principal, PrincipalSigner
    from switchyard.ingest.v1 import ingest_service_pb2 as svc
    from switchyard.ingest.v1 import ingest_service_pb2_grpc as svc_grpc

    principal = Principal(kind=SERVICE, tenant_id=org_id, request_id="bench")
    metadata = ((METADATA_KEY, PrincipalSigner(principal_key).sign(principal)),)
    async with grpc.aio.insecure_channel(addr) as channel:
        stub = svc_grpc.IngestServiceStub(channel)
        out = []
        for n in range(count):
            reply = await stub.CreateDsn(
                svc.CreateDsnRequest(name=f"bench-{n}"), metadata=metadata, timeout=30
            )
            out.append((reply.dsn.public_key, int(reply.dsn.project_id)))
        return out


async def drained(nats_url: str, prefix: str, within: float = 180.0) -> None:
    """Wait until every bench durable on INGEST has nothing pending or unacknowledged."""
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            mine = [c for c in await js.consumers_info("INGEST") if (c.name or "").startswith(prefix)]
            if all(c.num_pending == 0 and c.num_ack_pending == 0 for c in mine):
                return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"the ingest consumers did not drain in {within}s")
    finally:
        await client.close()


async def cleanup_nats(nats_url: str, prefix: str, ceiling_stream: str) -> None:
    """Delete the bench's durables and the ceiling's stream (the INGEST stream itself stays)."""
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        for c in await js.consumers_info("INGEST"):
            if (c.name or "").startswith(prefix):
                await js.delete_consumer("INGEST", c.name)
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(ceiling_stream)
    finally:
        await client.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def end_to_end(
    url: str, script: Path, connections: int, events: int, env: dict[str, str], prefix: str, consumer: int
) -> Row:
    """Send ``events`` envelopes (the wrk thread stops itself after that many responses); the time from
    first send until the last row is in ingest.error_events, and the ingest process's CPU per event."""
    con = await asyncpg.connect(env["DATABASE_URL"])
    try:
        before = int(await con.fetchval("SELECT count(*) FROM ingest.error_events"))
        args = ["wrk", "-t1", f"-c{connections}", "-d300s", "--latency", "-s", str(script), url]
        cpu = cpu_seconds(consumer)
        started = time.monotonic()
        # wrk's main thread sleeps for the whole -d even once its thread stopped: SIGINT ends it.
        wrk_proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)  # noqa: ASYNC220
        count, last_change, stable_since = before, started, started
        while True:
            await asyncio.sleep(0.02)
            now_count = int(await con.fetchval("SELECT count(*) FROM ingest.error_events"))
            now = time.monotonic()
            if now_count != count:
                count, last_change, stable_since = now_count, now, now
            elif count - before >= events and now - stable_since > 1.0:
                await drained(env["NATS_URL"], prefix)
                if int(await con.fetchval("SELECT count(*) FROM ingest.error_events")) == count:
                    break
            if wrk_proc.poll() is not None:
                out = (wrk_proc.stdout.read() if wrk_proc.stdout else "")[-400:]
                raise RuntimeError(f"wrk ended before the events were stored ({count - before} rows): {out}")
    finally:
        await con.close()
    consumer_cpu = cpu_seconds(consumer) - cpu
    wrk_proc.send_signal(signal.SIGINT)
    out, _ = wrk_proc.communicate(timeout=30)
    sent = parse_wrk("events persisted (send -> row)", out)
    stored, seconds = count - before, last_change - started
    result = Result(sent.name, stored / seconds, sent.p50_ms, sent.p99_ms, sent.errors)
    note = f"{stored} rows in {seconds:.1f}s; p50/p99 are the door's; CPU is the ingest process's per event"
    return Row(result, 1, note=note, cpu_us=consumer_cpu / stored * 1e6)


async def route_exists(client: httpx.AsyncClient, path: str) -> bool:
    """Whether the gateway serves ``path`` (an unauthenticated POST is 401/400, not 404/405)."""
    response = await client.post(path, content=b"{}", headers={"Content-Type": "application/json"})
    return response.status_code not in (404, 405)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk scenario")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--keys", type=int, default=8, help="DSN keys the load is spread over")
    parser.add_argument("--events", type=int, default=20_000, help="envelopes of the end-to-end row")
    parser.add_argument("--spans", type=int, default=50, help="spans per OTLP request")
    parser.add_argument("--batch", type=int, default=100, help="events per PostHog batch")
    opts = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is required: apt-get install -y wrk", file=sys.stderr)
        return 2
    raise_nofile()  # inherited by every process started below
    (ROOT / ".data").mkdir(exist_ok=True)
    urls = stack_env()
    with throwaway_database(urls["DATABASE_URL"]) as db_url:
        return run(opts, {**urls, "DATABASE_URL": db_url})


def run(opts: argparse.Namespace, urls: dict[str, str]) -> int:
    """Start the gateway and the ceiling; measure the doors against one ingest replica serving its API
    with the consumers off, then the pipeline against one ingest replica consuming too."""
    env = base_env(urls)
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    ports = {name: free_port() for name in ("ingest", "gateway", "ceiling")}
    env |= {
        "INGEST_GRPC_PORT": str(ports["ingest"]),
        "GATEWAY_PORT": str(ports["gateway"]),
        "GATEWAY_INGEST_ADDR": f"127.0.0.1:{ports['ingest']}",
        "BENCH_HTTP_PORT": str(ports["ceiling"]),
        "BENCH_STREAM": f"BENCH_CEILING_{prefix[6:].upper()}",
    }
    # Throwaway durables that start at the stream's end, one per consumer the service may run.
    for name in SERVICE_DURABLES:
        env[f"INGEST_{name}_DURABLE"] = f"{prefix}-{name.lower()}"
        env[f"INGEST_{name}_DELIVER_NEW"] = "true"
    subprocess.run([PY, "-m", "switchyard.ingest", "migrate"], env=env, cwd=ROOT, check=True)
    ingest_cmd = [PY, "-m", "switchyard.ingest", "serve"]
    rows: list[Row] = []
    skipped: list[str] = []
    try:
        with (
            process([PY, "-m", "switchyard.gateway"], env, "gateway") as gateway,
            process([PY, str(ROOT / "bench" / "_bare.py"), "http-jetstream"], env, "ceiling") as top,
            tempfile.TemporaryDirectory() as tmp,
        ):
            gw = f"http://127.0.0.1:{ports['gateway']}"
            ceiling = f"http://127.0.0.1:{ports['ceiling']}"
            bench = Scenarios(opts, gw, ceiling, env, prefix, Path(tmp))
            # Phase 1, the doors alone: on 2 cores the consumers' work would otherwise take CPU from
            # the gateway that the ceiling (a stream nobody consumes) never has to share.
            with process(ingest_cmd, {**env, "INGEST_CONSUME": "false"}, "ingest-api") as api:
                wait_port(ports["ingest"])
                wait_http(f"{gw}/livez")
                wait_port(ports["ceiling"])
                bench.pids = {"ingest": api.pid, "gateway": gateway.pid, "ceiling": top.pid}
                asyncio.run(bench.doors(rows, skipped))
            # Phase 2, the pipeline: the same doors with the replica's consumers storing everything.
            with process(ingest_cmd, env, "ingest") as ingest:
                wait_port(ports["ingest"])
                bench.pids = {"ingest": ingest.pid, "gateway": gateway.pid, "ceiling": top.pid}
                asyncio.run(bench.pipeline(rows))
    finally:
        asyncio.run(cleanup_nats(urls["NATS_URL"], prefix, env["BENCH_STREAM"]))
    print_rows(opts, rows, skipped, opts.keys)
    return 1 if any(r.result.errors for r in rows) else 0


class Scenarios:
    """The wrk scenarios of both phases over the same DSNs and bodies."""

    def __init__(
        self, opts: argparse.Namespace, gw: str, ceiling: str, env: dict[str, str], prefix: str, files: Path
    ) -> None:
        self.opts, self.gw, self.ceiling, self.env, self.prefix, self.files = (
            opts,
            gw,
            ceiling,
            env,
            prefix,
            files,
        )
        self.pids: dict[str, int] = {}
        self.dsns: list[tuple[str, int]] = []

    def body_file(self, name: str, data: bytes) -> Path:
        path = self.files / name
        path.write_bytes(data)
        return path

    def script(self, name: str, targets: list[Target], *, fresh: bool = False, limit: int = 0) -> Path:
        path = self.files / f"{name}.lua"
        path.write_text(lua_script(targets, fresh_ids=fresh, limit=limit))
        return path

    def sentry(self) -> list[Target]:
        envelope = self.body_file("envelope", sentry_envelope())
        headers = {"Content-Type": "application/x-sentry-envelope"}
        return [
            Target(
                f"/api/{project}/envelope/",
                {"X-Sentry-Auth": f"{SENTRY_AUTH}, sentry_key={key}", **headers},
                envelope,
            )
            for key, project in self.dsns
        ]

    async def door_and_ceiling(self, rows: list[Row], name: str, path: Path, items: int) -> None:
        d, c = self.opts.duration, self.opts.connections
        await drained(self.env["NATS_URL"], self.prefix)
        # CPU of the serving process over warm-up and run, per request (the warm-up ran at about
        # the measured rate): the figure least moved by other load on the machine.
        cpu = cpu_seconds(self.pids["gateway"])
        door = wrk_script(name, self.gw, path, d, c)
        door_cpu = (cpu_seconds(self.pids["gateway"]) - cpu) / (door.rps * (d + 2)) * 1e6
        cpu = cpu_seconds(self.pids["ceiling"])
        top = wrk_script(f"ceiling, {name}", self.ceiling, path, d, c)
        top_cpu = (cpu_seconds(self.pids["ceiling"]) - cpu) / (top.rps * (d + 2)) * 1e6
        rows.append(Row(door, items, top, cpu_us=door_cpu))
        rows.append(Row(top, items, cpu_us=top_cpu))

    async def doors(self, rows: list[Row], skipped: list[str]) -> None:
        """Sentry envelopes, OTLP spans and PostHog batches accepted/s, each beside its ceiling."""
        from switchyard.grpckit.config import principal_key_from_env

        opts, env = self.opts, self.env
        principal_key = principal_key_from_env(env["SWITCHYARD_PRINCIPAL_KEY"])
        self.dsns = await create_dsns(
            f"127.0.0.1:{env['INGEST_GRPC_PORT']}", principal_key, str(uuid.uuid4()), opts.keys
        )
        await self.door_and_ceiling(
            rows, "sentry envelope", self.script("sentry", self.sentry(), fresh=True), 1
        )
        async with httpx.AsyncClient(base_url=self.gw, timeout=10) as client:
            has_otlp = await route_exists(client, "/v1/traces")
            has_posthog = await route_exists(client, "/batch/")
        if has_otlp:
            traces = self.body_file("traces", otlp_traces(opts.spans))
            proto = {"Content-Type": "application/x-protobuf"}
            otlp = [
                Target("/v1/traces", {"Authorization": f"Bearer {key}", **proto}, traces)
                for key, _ in self.dsns
            ]
            name = f"otlp /v1/traces, {opts.spans} spans"
            await self.door_and_ceiling(rows, name, self.script("otlp", otlp), opts.spans)
        else:
            skipped.append("otlp: POST /v1/traces is not a gateway route on this branch yet")
        if has_posthog:
            posthog = [
                Target(
                    "/batch/",
                    {"Content-Type": "application/json"},
                    self.body_file(f"b{n}", posthog_batch(k, opts.batch)),
                )
                for n, (k, _) in enumerate(self.dsns)
            ]
            name = f"posthog /batch/, {opts.batch} events"
            await self.door_and_ceiling(rows, name, self.script("posthog", posthog), opts.batch)
        else:
            skipped.append("posthog: POST /batch/ is not a gateway route on this branch yet")

    async def consuming(self, within: float = 60.0) -> None:
        """Wait until an envelope sent through the gateway is stored: the gateway reached the restarted
        replica (its channel may be backing off) and the replica's consumers are running."""
        key, project = self.dsns[0]
        body = sentry_envelope().replace(ID_MARK.encode(), uuid.uuid4().hex.encode())
        headers = {"X-Sentry-Auth": f"{SENTRY_AUTH}, sentry_key={key}"}
        con = await asyncpg.connect(self.env["DATABASE_URL"])
        deadline = time.monotonic() + within
        try:
            before = int(await con.fetchval("SELECT count(*) FROM ingest.error_events"))
            async with httpx.AsyncClient(base_url=self.gw, timeout=10) as client:
                while time.monotonic() < deadline:
                    sent = await client.post(f"/api/{project}/envelope/", content=body, headers=headers)
                    if sent.status_code == 200:
                        break
                    await asyncio.sleep(0.5)
                while time.monotonic() < deadline:
                    if int(await con.fetchval("SELECT count(*) FROM ingest.error_events")) > before:
                        return
                    await asyncio.sleep(0.2)
        finally:
            await con.close()
        raise RuntimeError(f"the restarted ingest replica stored nothing within {within:.0f}s")

    async def pipeline(self, rows: list[Row]) -> None:
        """Sentry envelopes sent and stored: N envelopes, then poll PostgreSQL until the last row is there."""
        await self.consuming()
        await drained(self.env["NATS_URL"], self.prefix)
        limited = self.script("sentry-n", self.sentry(), fresh=True, limit=self.opts.events)
        rows.append(
            await end_to_end(
                self.gw,
                limited,
                self.opts.connections,
                self.opts.events,
                self.env,
                self.prefix,
                self.pids["ingest"],
            )
        )


def print_rows(opts: argparse.Namespace, rows: list[Row], skipped: list[str], keys: int) -> None:
    """The table: requests/s, items/s, p50, p99, errors and the ratio to the same body's ceiling."""
    print(
        f"\ningest benchmark: wrk -t1 -c{opts.connections}, {opts.duration}s per scenario (after 2s "
        f"warm-up), 1 gateway + 1 ingest process, {keys} DSN keys (default limit 1000/s per key); door rows "
        "with the ingest replica's consumers off, the events-persisted row with them on"
    )
    heads = (
        f"{'req/s':>8} {'items/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'vs ceiling':>10} "
        f"{'CPU us/req':>10}"
    )
    print(f"{'scenario':42} {heads}")
    for row in rows:
        r = row.result
        ratio = f"{r.rps / row.ceiling.rps:10.1%}" if row.ceiling else f"{'':>10}"
        items = r.rps * row.items_per_request
        p50 = f"{r.p50_ms:7.2f}" if not math.isnan(r.p50_ms) else f"{'-':>7}"
        note = f"  ({row.note})" if row.note else ""
        cpu = f"{row.cpu_us:10.0f}" if not math.isnan(row.cpu_us) else f"{'':>10}"
        print(
            f"{r.name:42} {r.rps:8.0f} {items:9.0f} {p50} {r.p99_ms:7.2f} {r.errors:6d} {ratio} {cpu}{note}"
        )
    for reason in skipped:
        print(f"skipped {reason}")
    print(
        "notes: envelopes are uncompressed (a fresh event id each, so every one is stored); the consumers "
        "drain between scenarios; the ceiling is bench/_bare.py http-jetstream (Litestar + nats-py "
        "publish, file stream, no auth)."
    )


if __name__ == "__main__":
    sys.exit(main())
