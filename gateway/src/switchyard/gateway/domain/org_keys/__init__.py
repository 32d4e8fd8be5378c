"""Organisation API keys (rsk_live_): ``/api/org/{orgId}/keys``."""
