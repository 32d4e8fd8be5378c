"""Which workers have open daemon mutations, so an idle heartbeat never needs the mutations service."""

from __future__ import annotations

from switchyard.grpckit.errors import InvalidArgument
from switchyard.grpckit.principal import Principal
from switchyard.workers.domain.context import Deps, require_service
from switchyard.workers.domain.ports import MutationMark

MAX_MARKS = 1000
_MAX_ID = 200


def validate_marks(marks: list[MutationMark]) -> list[MutationMark]:
    """At most ``MAX_MARKS`` marks, each naming a worker and a mutation."""
    if len(marks) > MAX_MARKS:
        raise InvalidArgument(f"mutations: at most {MAX_MARKS} entries")
    for mark in marks:
        if not mark.worker_id.strip() or len(mark.worker_id) > _MAX_ID:
            raise InvalidArgument("mutations[].workerId is required (at most 200 characters)")
        if not mark.mutation_id.strip() or len(mark.mutation_id) > _MAX_ID:
            raise InvalidArgument("mutations[].mutationId is required (at most 200 characters)")
    return marks


class MutationTrackingService:
    """Keeps the per-worker "mutations open" projection the heartbeat reads."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def track(self, *, principal: Principal, marks: list[MutationMark]) -> int:
        """Apply marks sent by the mutations service (service principals only)."""
        require_service(principal)
        return await self._d.flags.track(validate_marks(marks))

    async def apply_event(self, mark: MutationMark) -> None:
        """Apply one mark derived from a MUTATIONS stream event (the consumer's path)."""
        await self._d.flags.track([mark])
