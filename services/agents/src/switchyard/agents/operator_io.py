"""Adapter of the operator actions: the container -> app mapping, read from the heartbeat's source.

The heartbeat answers ``app_containers`` from an ``AppContainers`` source (agent_api.servicer) that deploy
plugs in; the deploy-net table reads the same source, so both always agree.
"""

from __future__ import annotations

from collections.abc import Mapping

from switchyard.agents.agent_api.servicer import AppContainers, NoAppContainers
from switchyard.agents.domain.operator.models import AppRef


class AppContainerLookup:
    """``ContainerApps`` over an ``AppContainers`` source: each mapping by container name and by id."""

    def __init__(self, source: AppContainers | None = None) -> None:
        self._source = source or NoAppContainers()

    async def for_server(self, server_id: str) -> Mapping[str, AppRef]:
        """Container name or id -> app."""
        found: dict[str, AppRef] = {}
        for mapping in await self._source.for_server(server_id):
            if not mapping.app_id:
                continue
            ref = AppRef(app_id=mapping.app_id, deployment_id=mapping.deployment_id)
            for key in (mapping.container_name, mapping.container_id):
                if key:
                    found[key] = ref
        return found
