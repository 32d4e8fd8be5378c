"""DSNs: an org's ingest keys."""
