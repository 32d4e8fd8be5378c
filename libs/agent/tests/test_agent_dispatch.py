"""Admission and dispatch: invalid types, unsupported types, payload errors, capacity, cancel, ack first."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from agent.v1 import agent_pb2
from switchyard.agent.context import HandlerContext
from switchyard.agent.dispatch import Dispatcher
from switchyard.agent.frames import Outcome, Progress
from switchyard.agent.handlers import HANDLERS

pytestmark = pytest.mark.unit
CT = agent_pb2.CommandType


class Wire:
    """The stream side of a dispatcher: ordered acks and frames."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    async def send(self, frame: agent_pb2.CommandResult) -> None:
        self.events.append(("result", frame))

    async def ack(self, command_id: str) -> None:
        self.events.append(("ack", command_id))

    def finals(self) -> dict[str, agent_pb2.CommandResult]:
        return {f.command_id: f for kind, f in self.events if kind == "result" and f.is_final}  # type: ignore[union-attr]


def _command(command_id: str, command_type: int, payload: object = b"") -> agent_pb2.Command:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return agent_pb2.Command(id=command_id, type=command_type, payload=raw)


async def _run(
    wait: Any, dispatcher: Dispatcher, wire: Wire, *commands: agent_pb2.Command
) -> dict[str, agent_pb2.CommandResult]:
    for command in commands:
        dispatcher.dispatch(command, send=wire.send, ack=wire.ack)
    await wait(lambda: len(wire.finals()) == len(commands))
    return wire.finals()


async def test_invalid_legacy_unsupported_and_disabled_types_fail_with_the_real_wording(
    wait: Any, ctx: HandlerContext
) -> None:
    wire = Wire()
    finals = await _run(
        wait,
        Dispatcher(ctx, HANDLERS),
        wire,
        _command("c0", CT.COMMAND_TYPE_UNSPECIFIED),
        _command("c1", 9999),
        _command("c2", CT.COMMAND_TYPE_DEPLOY),
        _command("c3", CT.COMMAND_TYPE_SERVICE_CREATE),
        _command("c4", CT.COMMAND_TYPE_SQL_EXEC),
    )
    outputs = {k: (v.status, v.output.decode()) for k, v in finals.items()}
    assert outputs["c0"] == ("failed", "invalid_command_type: COMMAND_TYPE_UNSPECIFIED")
    assert outputs["c1"] == ("failed", "invalid_command_type: 9999")
    assert outputs["c2"][0] == "failed"
    assert outputs["c2"][1].startswith("unsupported_command_type: legacy DEPLOY/RESTART/LOGS")
    assert outputs["c3"] == (
        "failed",
        "unsupported_command_type: 10 is not implemented in switchyard-agent yet",
    )
    assert outputs["c4"] == (
        "failed",
        "unsupported_command_type: SQL_EXEC is intentionally disabled on the agent",
    )
    # Every command, even a rejected one, is acked before its result.
    for command_id in outputs:
        kinds = [k for k, e in wire.events if e == command_id or getattr(e, "command_id", None) == command_id]
        assert kinds == ["ack", "result"]


async def test_payload_errors_answer_invalid_payload(wait: Any, ctx: HandlerContext) -> None:
    wire = Wire()
    finals = await _run(
        wait,
        Dispatcher(ctx, HANDLERS),
        wire,
        _command("bad-json", CT.COMMAND_TYPE_AGENT_LOGS, b"{nope"),
        _command("bad-type", CT.COMMAND_TYPE_AGENT_LOGS, {"lines": "many"}),
        _command("too-many", CT.COMMAND_TYPE_AGENT_LOGS, {"lines": 5000}),
        _command("unknown-key", CT.COMMAND_TYPE_ROUTE_ADD, {"domain": "a.example", "upstream": "x"}),
        _command("no-target", CT.COMMAND_TYPE_CANCEL_COMMAND, {}),
    )
    for command_id, frame in finals.items():
        assert frame.status == "failed", command_id
        assert frame.output.decode().startswith("invalid payload: "), command_id
    assert "unknown field `upstream`" in finals["unknown-key"].output.decode()
    assert "cancel_command_id is required" in finals["no-target"].output.decode()


def _blocking_handlers(release: asyncio.Event) -> dict[int, object]:
    async def slow(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
        await progress.line("working")
        await release.wait()
        return Outcome.completed("done")

    handlers: dict[int, object] = dict(HANDLERS)
    handlers[CT.COMMAND_TYPE_ROUTE_LIST] = slow
    handlers[CT.COMMAND_TYPE_REENROLL] = slow
    return handlers


async def test_capacity_exhausted_rejects_at_once_but_control_commands_bypass(
    wait: Any, ctx: HandlerContext
) -> None:
    release = asyncio.Event()
    dispatcher = Dispatcher(ctx, _blocking_handlers(release), capacity=2)  # type: ignore[arg-type]
    wire = Wire()
    for n in range(2):
        dispatcher.dispatch(_command(f"slow{n}", CT.COMMAND_TYPE_ROUTE_LIST), send=wire.send, ack=wire.ack)
    await wait(lambda: dispatcher.in_use == 2 and len(wire.events) >= 4)
    dispatcher.dispatch(_command("over", CT.COMMAND_TYPE_ROUTE_LIST), send=wire.send, ack=wire.ack)
    dispatcher.dispatch(_command("control", CT.COMMAND_TYPE_REENROLL), send=wire.send, ack=wire.ack)
    dispatcher.dispatch(_command("ping", CT.COMMAND_TYPE_AGENT_PING), send=wire.send, ack=wire.ack)
    await wait(lambda: {"over", "ping"} <= set(wire.finals()))
    finals = wire.finals()
    assert finals["over"].status == "failed"
    assert finals["over"].output == b"agent command capacity exhausted; retry later"
    assert finals["ping"].output == b"agent command capacity exhausted; retry later"
    assert "control" not in finals  # admitted beyond the limit, still running
    release.set()
    await wait(lambda: {"slow0", "slow1", "control"} <= set(wire.finals()))
    assert dispatcher.in_use == 0
    assert wire.finals()["control"].status == "completed"


async def test_cancel_command_cancels_the_target_which_emits_its_own_cancelled_frame(
    wait: Any,
    ctx: HandlerContext,
) -> None:
    dispatcher = Dispatcher(ctx, _blocking_handlers(asyncio.Event()))  # type: ignore[arg-type]
    wire = Wire()
    dispatcher.dispatch(_command("target", CT.COMMAND_TYPE_ROUTE_LIST), send=wire.send, ack=wire.ack)
    await wait(lambda: dispatcher.in_use == 1 and len(wire.events) == 2)
    for command_id, target in (("cancel-1", "target"), ("cancel-2", "ghost")):
        command = _command(command_id, CT.COMMAND_TYPE_CANCEL_COMMAND, {"cancel_command_id": target})
        dispatcher.dispatch(command, send=wire.send, ack=wire.ack)
    await wait(lambda: {"target", "cancel-1", "cancel-2"} <= set(wire.finals()))
    finals = wire.finals()
    assert (finals["cancel-1"].status, finals["cancel-1"].output) == ("completed", b"cancelled cmd=target")
    assert (finals["cancel-2"].status, finals["cancel-2"].output) == (
        "completed",
        b"no such command cmd=ghost",
    )
    assert finals["target"].status == "cancelled"
    target_frames = [e for k, e in wire.events if k == "result" and e.command_id == "target"]  # type: ignore[union-attr]
    assert [f.is_final for f in target_frames] == [False, True]  # progress, then exactly one final
    assert dispatcher.in_use == 0
