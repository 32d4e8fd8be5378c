"""Authentication routes: ``/api/auth/*``."""
