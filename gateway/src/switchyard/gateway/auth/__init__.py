"""Who is calling: JWT verification, API keys, the auth epoch, tenancy and the signed principal."""
