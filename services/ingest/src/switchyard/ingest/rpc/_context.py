"""What every servicer mixin shares: the domain services and the servicer context type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import grpc
from switchyard.ingest.domain.dsns.service import DsnService
from switchyard.ingest.domain.errors.groups import GroupService
from switchyard.ingest.domain.sourcemaps.service import SourceMapService

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


@dataclass(frozen=True, slots=True)
class Services:
    """The domain services one servicer calls."""

    dsns: DsnService
    groups: GroupService
    source_maps: SourceMapService


class Base:
    """Holds the services; every mixin reads ``self._s``."""

    def __init__(self, services: Services) -> None:
        self._s = services
