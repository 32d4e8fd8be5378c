"""Telemetry adapters: OTLP and agent-log messages decoded into the domain's rows, and their consumers."""
