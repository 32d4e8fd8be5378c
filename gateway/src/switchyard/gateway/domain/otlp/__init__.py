"""OTLP over HTTP: the ``/v1/traces`` and ``/v1/logs`` doors and the trace and log queries."""
