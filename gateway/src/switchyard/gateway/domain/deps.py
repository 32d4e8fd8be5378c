"""Dependencies every area shares."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import Provide
from switchyard.gateway.state import Gateway, gateway_of


def provide_gateway(request: Request[Any, Any, Any]) -> Gateway:
    """The gateway's clients and caches."""
    return gateway_of(request)


GATEWAY = {"gateway": Provide(provide_gateway, sync_to_thread=False)}
