"""What every typed service client shares: a stub, a signer and a deadline per call."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from switchyard.grpckit.client import call_metadata
from switchyard.grpckit.principal import Principal, PrincipalSigner

if TYPE_CHECKING:
    import grpc


class ServiceClient:
    """Calls one gRPC service as a signed principal.

    Args:
        channel: A channel to the service (round robin over its replicas).
        signer: Signs the principal of each call.
        timeout: Deadline of each call, in seconds (calls that wait on something slow pass their own).
    """

    # The generated ``<Service>Stub`` class.
    stub_type: Callable[[Any], Any]

    def __init__(self, channel: grpc.aio.Channel, *, signer: PrincipalSigner, timeout: float) -> None:
        self._stub = type(self).stub_type(channel)
        self._signer = signer
        self._timeout = timeout

    async def _call(
        self, method: str, request: Any, principal: Principal, *, deadline: float | None = None
    ) -> Any:
        metadata = call_metadata(self._signer.sign(principal), principal.request_id)
        return await getattr(self._stub, method)(
            request, metadata=metadata, timeout=deadline or self._timeout
        )
