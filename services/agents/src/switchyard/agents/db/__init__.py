"""The agents schema: models and migrations."""
