"""OAuth2 client credentials: ``/api/admin/m2m-clients``, ``/api/oauth/token`` and ``/api/oauth/whoami``."""
