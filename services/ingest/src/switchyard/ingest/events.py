"""Ingest's stream and subjects.

The gateway publishes every accepted ingest payload raw to ``ingest.raw.<protocol>`` and answers only after
JetStream's ack; this service's durable consumers store them. Payloads that can never be stored are
republished to ``ingest.dlq`` with the reason and acknowledged, so no consumer is stuck behind them.
"""

from __future__ import annotations

STREAM = "INGEST"
SUBJECTS = ["ingest.>"]
SENTRY_SUBJECT = "ingest.raw.sentry"
DLQ_SUBJECT = "ingest.dlq"
