"""The mutations schema: declarative base, models and migrations."""
