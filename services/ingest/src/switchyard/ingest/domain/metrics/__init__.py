"""Service metrics: push api keys, pushed points and the per-instance range queries."""
