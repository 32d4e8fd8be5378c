"""OAuth2 client-credentials (M2M) clients and the tokens they obtain."""
