"""The ceiling of `just bench ingest`: a bare Litestar POST that publishes the raw body to JetStream.

None of Switchyard's code: read the body, ``js.publish`` it with a fresh ``Nats-Msg-Id`` to a file-backed
stream configured like ``INGEST`` (limits retention, 120 s duplicate window), answer after the ack. Any
path is accepted, so the ingest bench replays its own wrk scripts (same paths, headers and bodies).

Run as `python bench/_ceiling.py` with NATS_URL, BENCH_HTTP_PORT and BENCH_STREAM set (the bench starts it
as its own process and deletes the stream afterwards).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import nats
import uvicorn
from litestar import Litestar, Request, post
from nats.js.api import StorageType, StreamConfig


def _app() -> Litestar:
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
    uvicorn.run(
        _app(),
        host="127.0.0.1",
        port=int(os.environ["BENCH_HTTP_PORT"]),
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
