"""Baselines for `just bench gateway`, with none of Switchyard's code in the request path.

(a) `bare`:  a Litestar GET returning {"status": "ok"}.
(d) `chain`: a Litestar GET calling a grpc.aio unary method that reads one row with asyncpg.
    `redis-chain`: a Litestar POST calling a grpc.aio unary method that does one Redis SET (the workers
    bench's baseline for heartbeats).
    `grpc-echo`: grpc.aio `bench.Echo` with a unary echo, a bidi echo stream and `Count` (open streams):
    the agents bench's ceiling.

    `http-jetstream`: the ceiling of `just bench ingest`: a Litestar POST on any path that publishes the
    raw body with a fresh Nats-Msg-Id to a file-backed stream configured like INGEST (BENCH_STREAM, 120 s
    duplicate window) and answers after the ack; no auth, no parsing.

Run as `python bench/_bare.py grpc|grpc-redis|grpc-echo|http-bare|http-chain|http-redis-chain|http-jetstream`
(the drivers start them as separate processes).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator

import asyncpg
import grpc
import uvicorn
from litestar import Litestar, get

_IDENTITY = lambda b: b  # noqa: E731  (bytes in, bytes out: no protobuf code of ours)


async def _grpc_server() -> None:
    pool = await asyncpg.create_pool(os.environ["BENCH_PG_DSN"], min_size=4, max_size=10)
    async with pool.acquire() as con:
        await con.execute("CREATE SCHEMA IF NOT EXISTS bench")
        await con.execute("CREATE TABLE IF NOT EXISTS bench.rows (id int primary key, email text not null)")
        await con.execute("INSERT INTO bench.rows VALUES (1, 'bench@example.com') ON CONFLICT DO NOTHING")

    async def get_row(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        row = await pool.fetchrow("SELECT id, email FROM bench.rows WHERE id = $1", int(request or b"1"))
        return json.dumps({"id": row["id"], "email": row["email"]}).encode()

    handler = grpc.method_handlers_generic_handler(
        "bench.Rows",
        {"Get": grpc.unary_unary_rpc_method_handler(get_row, _IDENTITY, _IDENTITY)},
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{os.environ['BENCH_GRPC_PORT']}")
    await server.start()
    print("ready", flush=True)
    await server.wait_for_termination()


async def _grpc_redis_server() -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(os.environ["BENCH_REDIS_URL"])

    async def beat(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        await redis.set(b"bench:beat:" + (request or b"w"), b"1", ex=300)
        return b'{"acknowledged":true}'

    handler = grpc.method_handlers_generic_handler(
        "bench.Beats",
        {"Beat": grpc.unary_unary_rpc_method_handler(beat, _IDENTITY, _IDENTITY)},
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{os.environ['BENCH_GRPC_PORT']}")
    await server.start()
    print("ready", flush=True)
    await server.wait_for_termination()


async def _grpc_echo_server() -> None:
    open_streams = [0]

    async def unary(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return request

    async def count(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return str(open_streams[0]).encode()

    async def stream(
        requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[bytes]:
        open_streams[0] += 1
        try:
            async for request in requests:
                yield request
        finally:
            open_streams[0] -= 1

    handler = grpc.method_handlers_generic_handler(
        "bench.Echo",
        {
            "Unary": grpc.unary_unary_rpc_method_handler(unary, _IDENTITY, _IDENTITY),
            "Count": grpc.unary_unary_rpc_method_handler(count, _IDENTITY, _IDENTITY),
            "Stream": grpc.stream_stream_rpc_method_handler(stream, _IDENTITY, _IDENTITY),
        },
    )
    # The agents' public port runs with grpckit's options; the ceiling gets the same ones.
    from switchyard.grpckit.server import SERVER_OPTIONS

    server = grpc.aio.server(options=SERVER_OPTIONS)
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{os.environ['BENCH_GRPC_PORT']}")
    await server.start()
    print("ready", flush=True)
    await server.wait_for_termination()


def _redis_chain_app() -> Litestar:
    from litestar import Request, post

    state: dict[str, grpc.aio.UnaryUnaryMultiCallable] = {}

    async def connect() -> None:
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{os.environ['BENCH_GRPC_PORT']}")
        state["beat"] = channel.unary_unary("/bench.Beats/Beat", _IDENTITY, _IDENTITY)

    @post("/{worker_id:str}", status_code=200)
    async def beat(worker_id: str, request: Request) -> dict[str, object]:  # type: ignore[type-arg]
        await request.body()
        return json.loads(await state["beat"](worker_id.encode(), timeout=5))  # type: ignore[no-any-return]

    return Litestar([beat], on_startup=[connect])


def _bare_app() -> Litestar:
    @get("/", sync_to_thread=False)
    def ok() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar([ok])


def _chain_app() -> Litestar:
    state: dict[str, grpc.aio.UnaryUnaryMultiCallable] = {}

    async def connect() -> None:
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{os.environ['BENCH_GRPC_PORT']}")
        state["get"] = channel.unary_unary("/bench.Rows/Get", _IDENTITY, _IDENTITY)

    @get("/")
    async def row() -> dict[str, object]:
        raw = await state["get"](b"1", timeout=5)
        return json.loads(raw)  # type: ignore[no-any-return]

    return Litestar([row], on_startup=[connect])


def _jetstream_app() -> Litestar:
    import uuid
    from typing import Any

    import nats
    from litestar import Request, post
    from nats.js.api import StorageType, StreamConfig

    stream = os.environ["BENCH_STREAM"]
    subject = f"{stream.lower()}.raw"
    state: dict[str, Any] = {}

    async def connect() -> None:
        client = await nats.connect(os.environ["NATS_URL"])
        js = client.jetstream()
        await js.add_stream(
            StreamConfig(name=stream, subjects=[subject], storage=StorageType.FILE, duplicate_window=120)
        )
        state["client"], state["js"] = client, js

    async def close() -> None:
        await state["client"].drain()

    @post("/{rest:path}", status_code=200)
    async def door(rest: str, request: Request[Any, Any, Any]) -> dict[str, int]:
        body = await request.body()
        await state["js"].publish(subject, body, headers={"Nats-Msg-Id": uuid.uuid4().hex})
        return {"status": 1}

    return Litestar([door], on_startup=[connect], on_shutdown=[close])


def main() -> None:
    kind = sys.argv[1]
    if kind == "grpc":
        asyncio.run(_grpc_server())
        return
    if kind == "grpc-echo":
        asyncio.run(_grpc_echo_server())
        return
    if kind == "grpc-redis":
        asyncio.run(_grpc_redis_server())
        return
    apps = {
        "http-bare": _bare_app,
        "http-chain": _chain_app,
        "http-redis-chain": _redis_chain_app,
        "http-jetstream": _jetstream_app,
    }
    app = apps[kind]()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["BENCH_HTTP_PORT"]),
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
