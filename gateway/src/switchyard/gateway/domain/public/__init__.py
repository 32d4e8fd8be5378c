"""``/api/public/*``: the org's sessions dashboard API (Rensei §3)."""
