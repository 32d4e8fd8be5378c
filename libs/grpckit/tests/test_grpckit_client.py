"""Channels: round-robin over replicas, target parsing, call metadata."""

from __future__ import annotations

import json
from typing import Any

import grpc.aio
import pytest
from switchyard.grpckit.client import call_metadata, channel_target, create_channel
from switchyard.grpckit.principal import METADATA_KEY, REQUEST_ID_KEY

WHOAMI = "/switchyard.test.v1.ProbeService/WhoAmI"


@pytest.mark.integration
async def test_round_robin_channel_spreads_calls_over_two_servers(start_probe: Any) -> None:
    first = await start_probe("first")
    second = await start_probe("second")
    channel = create_channel(f"{first.address},{second.address}")
    try:
        seen: list[str] = []
        # Round-robin only uses replicas whose connection is ready, so the first calls may all land
        # on one; within a bounded number of calls both must answer.
        for _ in range(200):
            reply = await channel.unary_unary(WHOAMI)(b"", timeout=5)
            seen.append(json.loads(reply)["label"])
            if {"first", "second"} <= set(seen) and len(seen) >= 10:
                break
        assert {"first", "second"} <= set(seen)
        # Once both are connected, consecutive calls alternate.
        tail = [json.loads(await channel.unary_unary(WHOAMI)(b"", timeout=5))["label"] for _ in range(4)]
        assert all(tail[i] != tail[i + 1] for i in range(3)), tail
    finally:
        await channel.close()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        ("127.0.0.1:5000", "ipv4:127.0.0.1:5000"),
        ("10.0.0.1:1, 10.0.0.2:2", "ipv4:10.0.0.1:1,10.0.0.2:2"),
        ("[::1]:7", "ipv6:[::1]:7"),
        ("identity:50051", "dns:///identity:50051"),
        ("localhost:1,localhost:2", "ipv4:127.0.0.1:1,127.0.0.1:2"),
        ("dns:///identity-headless:50051", "dns:///identity-headless:50051"),
    ],
)
def test_channel_target(targets: str, expected: str) -> None:
    assert channel_target(targets) == expected


@pytest.mark.unit
@pytest.mark.parametrize("targets", ["", "nohost", "host:port", "127.0.0.1:1,[::1]:2"])
def test_channel_target_rejects_malformed_addresses(targets: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by cause
        channel_target(targets)


@pytest.mark.unit
def test_call_metadata_carries_principal_and_request_id() -> None:
    assert call_metadata("tok", "rid") == ((METADATA_KEY, "tok"), (REQUEST_ID_KEY, "rid"))
    assert call_metadata("", "rid") == ((REQUEST_ID_KEY, "rid"),)


@pytest.mark.unit
async def test_create_channel_returns_an_aio_channel() -> None:
    channel = create_channel("127.0.0.1:1")
    try:
        assert isinstance(channel, grpc.aio.Channel)
    finally:
        await channel.close()
