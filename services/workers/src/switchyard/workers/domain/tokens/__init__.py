"""Runtime JWTs: Ed25519 signing keys and the issuer."""
