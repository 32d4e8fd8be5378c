"""The Sentry wire formats: envelopes and legacy store bodies, parsed into items (no I/O)."""
