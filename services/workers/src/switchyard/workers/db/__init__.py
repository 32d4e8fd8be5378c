"""The workers schema: ORM models and dated migrations."""
