"""Tenant member routes: ``/api/tenant/members``."""
