"""The ingest schema: declarative base, models and migrations."""
