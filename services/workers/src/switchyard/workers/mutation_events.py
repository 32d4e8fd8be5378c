"""Consumer of the mutations service's events: keeps the per-worker open-mutation projection.

The mutations service also tells workers synchronously (``TrackMutations``) right after an enqueue commits,
so delivery does not wait for this consumer; the consumer is what closes mutations (applied, failed,
cancelled) and what heals a lost synchronous call. It starts before the MUTATIONS stream may exist (the
mutations service creates it), so it retries until the stream is there.
"""

from __future__ import annotations

import nats.js
from nats.aio.msg import Msg
from switchyard.bus import BackgroundConsumer
from switchyard.mutations.v1 import events_pb2 as mutation_events
from switchyard.obs import get_logger
from switchyard.workers.domain.fleet.mutation_tracking import MutationTrackingService
from switchyard.workers.domain.ports import MutationMark

STREAM = "MUTATIONS"
SUBJECT = "mutations.mutation.>"
DURABLE = "workers.mutation-flags"
RETRY_SECONDS = 1.0

_OPEN = {"enqueued": True, "delivered": True, "applied": False, "failed": False, "cancelled": False}

log = get_logger(__name__)


def mark_of(msg: Msg) -> MutationMark | None:
    """The projection change an event means; None for subjects it does not know."""
    verb = msg.subject.rsplit(".", 1)[-1]
    if verb not in _OPEN:
        return None
    mutation = mutation_events.MutationChanged.FromString(msg.data).mutation
    if not mutation.id or not mutation.worker_host_id:
        return None
    return MutationMark(worker_id=mutation.worker_host_id, mutation_id=mutation.id, open=_OPEN[verb])


class MutationEventsConsumer(BackgroundConsumer):
    """Runs the durable consumer ``workers.mutation-flags`` until stopped."""

    def __init__(self, js: nats.js.JetStreamContext, tracking: MutationTrackingService) -> None:
        self._tracking = tracking
        super().__init__(
            js,
            stream=STREAM,
            durable=DURABLE,
            subject=SUBJECT,
            handler=self._handle,
            name="workers-mutation-events",
            retry_seconds=RETRY_SECONDS,
        )

    async def _handle(self, msg: Msg) -> None:
        mark = mark_of(msg)
        if mark is not None:
            await self._tracking.apply_event(mark)
