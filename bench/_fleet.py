"""A cheap fleet of agents for `just bench agents`: many CommandStreams multiplexed over a few channels.

Run as `python bench/_fleet.py agents|bare ADDRESS CHANNELS`; the driver talks to it over stdin/stdout,
one line per request, one line per answer:
  open FILE START END  -> opens a stream for each line START..END-1 of FILE ("server_id secret");
                          answers `opened N` once every call has been started (paced, see OPEN_BATCH)
  stats                -> `streams ALIVE errors N commands N last-error TEXT` (errors = streams that
                          failed or ended and were dialled again)
  quit
`agents` streams speak agent.v1 like the reference agent for what the bench sends: every Command is
ACKed (unary AckCommand, phase "received") and answered with one final CommandResult frame (AGENT_PING:
`{"agent_time_nanos", "agent_version"}`; anything else: `completed`, "ok"). `bare` streams open the
bidi echo of `_bare.py grpc-echo` and stay idle: the ceiling for what one idle stream costs.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
from agent.v1 import agent_pb2 as T
from agent.v1 import agent_pb2_grpc

OPEN_BATCH = 100  # calls started per step, so the server sees a ramp rather than one burst
OPEN_PAUSE = 0.05
_IDENTITY = lambda b: b  # noqa: E731


class Fleet:
    def __init__(self, kind: str, address: str, channels: int) -> None:
        self.kind = kind
        # Distinct args per channel: each gets its own subchannel (TCP connection) instead of sharing one.
        self.channels = [
            grpc.aio.insecure_channel(
                address,
                options=[
                    ("grpc.use_local_subchannel_pool", 1),
                    ("grpc.bench_channel", n),
                    ("grpc.max_receive_message_length", 30 * 1024 * 1024),
                ],
            )
            for n in range(channels)
        ]
        self.stubs = [agent_pb2_grpc.AgentServiceStub(c) for c in self.channels]
        self.echo = [c.stream_stream("/bench.Echo/Stream", _IDENTITY, _IDENTITY) for c in self.channels]
        self.alive = 0
        self.errors = 0
        self.commands = 0
        self.last_error = ""
        self.tasks: set[asyncio.Task[None]] = set()
        self.opened = 0

    def _start(self, n: int, server_id: str, secret: str) -> None:
        slot = n % len(self.channels)
        coro = self._agent(slot, server_id, secret) if self.kind == "agents" else self._bare(slot)
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _bare(self, slot: int) -> None:
        await self._redial(lambda: self._bare_stream(slot))

    async def _bare_stream(self, slot: int) -> None:
        call = self.echo[slot]()
        self.alive += 1
        try:
            await call.read()
        finally:
            self.alive -= 1

    async def _redial(self, stream: Callable[[], Awaitable[None]]) -> None:
        """Like the reference agent: a stream that fails or ends is dialled again after a backoff
        (1 s, doubling, at most 30 s)."""
        backoff = 1.0
        while True:
            try:
                await stream()
                self.last_error = "stream ended by the server"
            except grpc.aio.AioRpcError as exc:
                self.last_error = f"{exc.code().name}: {exc.details()}"
            self.errors += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)

    async def _agent(self, slot: int, server_id: str, secret: str) -> None:
        await self._redial(lambda: self._agent_stream(slot, server_id, secret))

    async def _agent_stream(self, slot: int, server_id: str, secret: str) -> None:
        stub = self.stubs[slot]
        metadata = (("authorization", f"Bearer {secret}"), ("server-id", server_id))
        call = stub.CommandStream(metadata=metadata)
        self.alive += 1
        try:
            while True:
                command = await call.read()
                if command is grpc.aio.EOF:
                    return
                await stub.AckCommand(
                    T.CommandAck(command_id=command.id, server_id=server_id, phase="received"),
                    metadata=metadata,
                    timeout=10,
                )
                if command.type == T.COMMAND_TYPE_AGENT_PING:
                    body = {"agent_time_nanos": time.time_ns(), "agent_version": "bench-fleet"}
                    output = json.dumps(body).encode()
                else:
                    output = b"ok"
                await call.write(
                    T.CommandResult(command_id=command.id, status="completed", output=output, is_final=True)
                )
                self.commands += 1
        finally:
            self.alive -= 1

    async def open(self, path: str, start: int, end: int) -> int:
        text = await asyncio.to_thread(Path(path).read_text)
        creds = [line.split() for line in text.splitlines()[start:end]]
        for n, (server_id, secret) in enumerate(creds):
            self._start(self.opened + n, server_id, secret)
            if n % OPEN_BATCH == OPEN_BATCH - 1:
                await asyncio.sleep(OPEN_PAUSE)
        self.opened += len(creds)
        return len(creds)


async def main() -> None:
    kind, address, channels = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fleet = Fleet(kind, address, channels)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print("ready", flush=True)
    while line := (await reader.readline()).decode().split():
        if line[0] == "open":
            n = await fleet.open(line[1], int(line[2]), int(line[3]))
            print(f"opened {n}", flush=True)
        elif line[0] == "stats":
            print(
                f"streams {fleet.alive} errors {fleet.errors} commands {fleet.commands}"
                f" last-error {fleet.last_error or '-'}",
                flush=True,
            )
        elif line[0] == "quit":
            break
    for task in list(fleet.tasks):
        task.cancel()
    for channel in fleet.channels:
        await channel.close(None)


if __name__ == "__main__":
    asyncio.run(main())
