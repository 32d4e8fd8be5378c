"""Admin API keys (lsk_): ``/api/admin/api-keys``."""
