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
# OTLP exports, normalised to protobuf by the gateway (header Ingest-Kind: otlp-traces | otlp-logs).
OTLP_SUBJECT = "ingest.raw.otlp"
# Agent log batches come from the agents service's stream.
AGENTS_STREAM = "AGENTS"
AGENT_LOGS_SUBJECT = "agents.logs.received"

# PostHog capture bodies as the SDK sent them (decompressed JSON); the gateway's headers say whose they are.
POSTHOG_SUBJECT = "ingest.raw.posthog"
# Validated service-metric pushes, published by this service's PushServiceMetrics before it answers.
METRICS_SUBJECT = "ingest.raw.metrics"
ORG_HEADER = "Ingest-Org-Id"
DSN_HEADER = "Ingest-Dsn-Id"
RECEIVED_HEADER = "Ingest-Received-At"
DLQ_REASON_HEADER = "Ingest-Dlq-Reason"
DLQ_SOURCE_HEADER = "Ingest-Dlq-Subject"
