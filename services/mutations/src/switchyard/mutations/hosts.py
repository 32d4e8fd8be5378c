"""The workers service as the domain's ``HostDirectory``: GetWorker with a service principal."""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from switchyard.grpckit.client import call_metadata, create_channel
from switchyard.grpckit.errors import Unavailable
from switchyard.grpckit.principal import SERVICE, Principal, PrincipalSigner
from switchyard.obs import request_id_var
from switchyard.workers.v1 import workers_service_pb2 as wsvc
from switchyard.workers.v1 import workers_service_pb2_grpc as wgrpc

# The workers service takes at most 1,000 marks per call.
TRACK_BATCH = 1000
# A malformed id is simply not a host of anyone's org.
_ABSENT = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT)


class WorkersHosts:
    """Asks the workers service which org a worker belongs to."""

    def __init__(self, *, addr: str, principal_key: bytes, timeout: float) -> None:
        self._channel = create_channel(addr)
        self._stub = wgrpc.WorkersServiceStub(self._channel)  # type: ignore[no-untyped-call]
        self._signer = PrincipalSigner(principal_key)
        self._timeout = timeout

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        request_id = request_id_var.get()
        token = self._signer.sign(Principal(kind=SERVICE, request_id=request_id))
        return call_metadata(token, request_id)

    async def org_of(self, worker_id: str) -> str | None:
        """The worker's org, or None when the workers service does not know it."""
        try:
            response = await self._stub.GetWorker(
                wsvc.GetWorkerRequest(worker_id=worker_id), metadata=self._metadata(), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in _ABSENT:
                return None
            raise Unavailable("workers service unavailable") from exc
        return response.worker.org_id or None

    async def track_open(self, opened: Sequence[tuple[str, str]]) -> None:
        """Mark ``(host, mutation id)`` pairs open in workers' heartbeat projection, in batches."""
        marks = [wsvc.TrackedMutation(worker_id=h, mutation_id=m, open=True) for h, m in opened]
        for start in range(0, len(marks), TRACK_BATCH):
            try:
                await self._stub.TrackMutations(
                    wsvc.TrackMutationsRequest(mutations=marks[start : start + TRACK_BATCH]),
                    metadata=self._metadata(),
                    timeout=self._timeout,
                )
            except grpc.aio.AioRpcError as exc:
                raise Unavailable("workers service unavailable") from exc

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()
