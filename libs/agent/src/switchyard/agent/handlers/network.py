"""NETWORK_INSPECT: the ``deploy-net`` Docker network, or a truthful "docker unavailable" answer.

Apps run as local processes here, so most servers have no Docker engine. Then the answer is a completed
``{network_name: "deploy-net", containers: [], error: "docker unavailable"}`` rather than a failure, so
the control plane can show the network view without treating the probe as broken.
"""

from __future__ import annotations

from typing import Any

import httpx
from switchyard.agent.context import HandlerContext
from switchyard.agent.frames import Outcome, Progress
from switchyard.agent.metrics import docker_reachable

NETWORK_NAME = "deploy-net"


async def handle_network_inspect(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
    """NETWORK_INSPECT: ``{network_id, network_name, driver, containers[...]}`` from the Docker API."""
    if not await docker_reachable(ctx.docker_socket):
        return Outcome.completed_json(
            {"network_name": NETWORK_NAME, "containers": [], "error": "docker unavailable"}
        )
    transport = httpx.AsyncHTTPTransport(uds=str(ctx.docker_socket))
    async with httpx.AsyncClient(transport=transport, base_url="http://docker", timeout=5.0) as client:
        try:
            response = await client.get(f"/networks/{NETWORK_NAME}")
        except httpx.HTTPError as exc:
            return Outcome.failed(f"NetworkInspect {NETWORK_NAME}: {exc}")
    if response.status_code != 200:
        return Outcome.failed(
            f"NetworkInspect {NETWORK_NAME}: {response.status_code} {response.text.strip()}"
        )
    network: dict[str, Any] = response.json()
    containers = [
        {
            "container_id": cid,
            "container_name": str(ep.get("Name", "")).lstrip("/"),
            "ipv4_address": ep.get("IPv4Address", ""),
            "mac_address": ep.get("MacAddress", ""),
        }
        for cid, ep in (network.get("Containers") or {}).items()
    ]
    return Outcome.completed_json(
        {
            "network_id": network.get("Id", ""),
            "network_name": network.get("Name", ""),
            "driver": network.get("Driver", ""),
            "containers": containers,
        }
    )
