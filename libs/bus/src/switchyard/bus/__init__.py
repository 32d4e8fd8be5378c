"""Events on NATS JetStream: connect, streams, publish with dedupe ids, outbox relay, consumers."""

from switchyard.bus.consumer import BackgroundConsumer, Handler, run_consumer
from switchyard.bus.core import MSG_ID_HEADER, connect, drain_quietly, ensure_stream, publish
from switchyard.bus.relay import OutboxRelay

__all__ = [
    "MSG_ID_HEADER",
    "BackgroundConsumer",
    "Handler",
    "OutboxRelay",
    "connect",
    "drain_quietly",
    "ensure_stream",
    "publish",
    "run_consumer",
]
