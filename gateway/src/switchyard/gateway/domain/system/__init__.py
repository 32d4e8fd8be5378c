"""System routes: ``/health``, ``/readyz``, ``/api/version``."""
