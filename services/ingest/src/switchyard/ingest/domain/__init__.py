"""The ingest domain: transport-free rules (no grpc, nats, redis or generated code)."""
