"""Telemetry: OTLP spans and the log store (OTLP log records and agent log entries)."""
